//! The orders service's error codes: a closed set both sides name by variant.

platform_domain::error_codes! {
    #[doc = "A stable code the orders service answers a refusal with (`{\"error\": {\"code\": …}}`)."]
    /// An id in the path is malformed (400).
    MalformedId = "orders.malformed_id",
    /// Placing an order without an `Idempotency-Key` header (400).
    IdempotencyKeyMissing = "orders.idempotency_key_missing",
    /// The key is empty, longer than 255 characters or not printable ASCII (400).
    IdempotencyKeyInvalid = "orders.idempotency_key_invalid",
    /// The key was used before with a different body (422).
    IdempotencyKeyReused = "orders.idempotency_key_reused",
    /// A request with this key is still being processed (409).
    RequestInFlight = "orders.request_in_flight",
    /// An order needs at least one line (422).
    Empty = "orders.empty",
    /// At most 100 lines, each variant once (422).
    LinesInvalid = "orders.lines_invalid",
    /// A quantity outside 1..=999 (422).
    QuantityInvalid = "orders.quantity_invalid",
    /// A variant is not sold by this shop (any more) (422).
    VariantUnavailable = "orders.variant_unavailable",
    /// Not enough stock for a line (409).
    InsufficientStock = "orders.insufficient_stock",
    /// Prices, stock, shipping or tax changed since the buyer reviewed the order (409).
    TotalsChanged = "orders.totals_changed",
    /// A field the shop requires is empty (422).
    FieldMissing = "orders.field_missing",
    /// A field the shop does not ask for was sent (422): it is never stored (O2).
    FieldNotAsked = "orders.field_not_asked",
    /// A field is too long or has control characters (422).
    FieldInvalid = "orders.field_invalid",
    /// The email does not look like one (422).
    EmailInvalid = "orders.email_invalid",
    /// The phone has other characters than digits, spaces and + - ( ) (422).
    PhoneInvalid = "orders.phone_invalid",
    /// The country is not an ISO 3166-1 alpha-2 code (422).
    CountryUnknown = "orders.country_unknown",
    /// No shipping rate was chosen, or the rate does not ship to that country (422).
    ShippingUnavailable = "orders.shipping_unavailable",
    /// A list query is malformed (422).
    QueryInvalid = "orders.query_invalid",
    /// No such order (404).
    NotFound = "orders.not_found",
    /// The order is past the point where it can be cancelled (409): paid orders are
    /// refunded instead.
    NotCancellable = "orders.not_cancellable",
    /// The order cannot be paid: it is paid, cancelled or its hold ran out (409).
    NotPayable = "orders.not_payable",
    /// The return address for the payment page is not an https address (422).
    ReturnUrlInvalid = "orders.return_url_invalid",
    /// The payment processor cannot be reached or is not configured (503).
    PaymentsUnavailable = "orders.payments_unavailable",
    /// The payment processor refused the request (502); its code is in the message.
    ProcessorRefused = "orders.processor_refused",
    /// A refund amount outside 1..=what is left to refund (422).
    RefundInvalid = "orders.refund_invalid",
    /// Only a paid order can be refunded (409).
    NotRefundable = "orders.not_refundable",
    /// Only a paid order can be shipped, and only a shipped one delivered (409).
    NotShippable = "orders.not_shippable",
    /// A carrier name or tracking number that is empty, too long or has odd characters
    /// (422); give both or neither.
    TrackingInvalid = "orders.tracking_invalid",
    /// No carrier is configured, or it cannot be reached (503): type the tracking number.
    CarrierUnavailable = "orders.carrier_unavailable",
    /// The carrier refused the shipment (502); its code is in the message.
    CarrierRefused = "orders.carrier_refused",
    /// A webhook that did not verify as the processor's (401).
    WebhookRefused = "orders.webhook_refused",
    /// No such signing key (404).
    KeyNotFound = "orders.key_not_found",
    /// The key is already revoked or retired (409).
    KeyNotRevocable = "orders.key_not_revocable",
    /// A request's kind, email or details are missing or malformed (422).
    RequestInvalid = "orders.request_invalid",
    /// No such request (404).
    RequestNotFound = "orders.request_not_found",
    /// The request is not in a state that allows this step (409): confirmed requests
    /// only, each kind its own answer, an extension once and before the deadline.
    RequestState = "orders.request_state",
    /// An extension past two months after the first deadline, or a reason too short (422).
    ExtensionInvalid = "orders.extension_invalid",
    /// A newsletter's subject or text is empty or too long (422).
    NewsletterInvalid = "orders.newsletter_invalid",
    /// A shop that sells to minors needs the buyer's age band (422).
    AgeBandRequired = "orders.age_band_required",
    /// A buyer under 13 needs a guardian's consent that is given and unused (422).
    GuardianConsentRequired = "orders.guardian_consent_required",
    /// An item is for buyers of 13 and over (422).
    AgeRestricted = "orders.age_restricted",
    /// The shop is closing: it takes no new orders (409).
    ShopClosing = "orders.shop_closing",
    /// The link is unknown, used or expired (404).
    LinkInvalid = "orders.link_invalid",
    /// The database is away (503).
    Unavailable = "orders.unavailable",
    /// A refusal this version of the contract does not know.
    Refused = "orders.refused",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(code.as_str().starts_with("orders."));
        }
        assert_eq!(ErrorCode::parse("orders.nonsense"), None);
    }
}
