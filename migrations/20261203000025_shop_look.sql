-- A shop's own look (issue 16): an accent colour (buttons, links; dark enough for white
-- text at WCAG AA, which the console checks) and a home-page banner (a headline and a
-- line of text). The storefront applies them without JavaScript: the colour through a
-- per-shop stylesheet, the banner on the home page.

alter table store_settings
    add column accent_color text not null default '#0f766e'
        check (accent_color ~ '^#[0-9a-f]{6}$'),
    add column banner_title text not null default ''
        check (length(banner_title) <= 120),
    add column banner_text  text not null default ''
        check (length(banner_text) <= 500);
