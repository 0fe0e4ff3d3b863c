//! The orders service's contract: what crosses between the orders service and its callers
//! (the storefront's checkout, the merchant console's order pages). The wire types of its
//! API, its error codes as an enum, the `Idempotency-Key` header, and the typed
//! [`OrdersClient`] callers use over mutual TLS.
//!
//! The client builds every URL from typed ids it encodes itself, so no text from a visitor
//! can change which orders API path is called.
//!
//! What this crate must never do: depend on the orders service itself, carry a price a
//! caller could set (orders prices every line from the catalog), or carry card data.

mod client;
mod consent;
mod error_code;
mod privacy;
mod wire;

pub use client::{ClientSetupError, OrdersCallError, OrdersClient};
pub use consent::{
    AskGuardian, GuardianDecision, GuardianHandle, GuardianState, MarketingOptIn, NewNewsletter,
    NewsletterSummary, Newsletters, Subscribe, SubscriberCounts, Unsubscribe, UnsubscribeMail,
};
pub use error_code::ErrorCode;
pub use privacy::{
    Article15, BackupStatement, CertificateKey, CertificateSignature, ConfirmRequest,
    ConfirmedRequest, CorrectOrder, ErasureCertificate, ExportView, ExportedConsent, ExportedMail,
    ExportedOrder, ExportedRead, ExportedRequest, ExtendRequest, HeldOrder, KeptRecord,
    OpenRequest, PolicyNotices, PolicyNoticesQueued, RequestAction, RequestDetail, RequestList,
    RequestSummary, RetentionCounts, RetentionRun, ShopFacts, ShopOrders, Statement, SubjectExport,
    SubmitRequest,
};

/// The vault context of an order's sealed contact (a JSON [`Contact`]): the orders
/// service seals with it, and the processor's staff open with it under a grant.
pub const CONTACT_FIELD: &str = "orders.contact";
/// The vault context of an order's sealed delivery address (a JSON [`Address`]).
pub const SHIPPING_FIELD: &str = "orders.shipping";
pub use platform_domain::{
    AgeBand, ConsentSource, Country, GuardianStatus, NewsletterId, OrderId, OrderStatus, RequestId,
    RequestKind, RequestSource, RequestStatus, ShippingRateId, VariantId, WithdrawalMethod,
};
pub use platform_tenancy::TenantId;
pub use wire::{
    Address, BuyerOrder, CancelOrder, Contact, KeyAction, LineRequest, OrderDetail, OrderEvent,
    OrderLine, OrderList, OrderListQuery, OrderSummary, PaymentStart, PaymentView, PlaceOrder,
    PlacedOrder, Quote, QuoteRequest, QuotedLine, RefundOrder, ShipOrder, ShipmentView,
    ShippingOption, SigningKey, SigningKeys, StartPayment,
};

/// The request header that makes placing an order safe to retry (IETF httpapi
/// `Idempotency-Key` draft): the same key and body replay the first answer.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The header on a replayed answer.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
