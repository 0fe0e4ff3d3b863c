-- Nobody approves their own break-glass (O8): the access-control code refuses it, and so
-- does the row itself.
alter table processor.access_grants
    add constraint access_grants_not_self_approved
    check (kind <> 'break_glass' or decided_by is null or decided_by <> staff_id);
