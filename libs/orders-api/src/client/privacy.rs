//! The privacy side of the orders API: data-subject requests, retention, the shop's
//! export, policy notices, marketing consent and newsletters, guardians' consents, and
//! the certificate key.

use platform_domain::OrderId;
use platform_tenancy::TenantId;

use super::{OrdersCallError, OrdersClient};

/// Data-subject requests (O13, O14).
impl OrdersClient {
    /// A visitor's request from the privacy page; the answer does not tell whether the
    /// shop knows the address.
    pub async fn submit_request(
        &self,
        tenant: TenantId,
        request: &crate::SubmitRequest,
    ) -> Result<(), OrdersCallError> {
        self.send(
            self.http
                .post(self.url(tenant, &["privacy", "requests"]))
                .json(request),
        )
        .await
        .map(drop)
    }

    /// The visitor confirms by the emailed token.
    pub async fn confirm_request(
        &self,
        tenant: TenantId,
        token: &str,
    ) -> Result<crate::ConfirmedRequest, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["privacy", "confirmations"]))
                .json(&crate::ConfirmRequest {
                    token: token.to_owned(),
                }),
        )
        .await
    }

    /// An export by the token of its link.
    pub async fn export_by_token(
        &self,
        tenant: TenantId,
        token: &str,
    ) -> Result<crate::ExportView, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["privacy", "exports", "open"]))
                .json(&crate::ConfirmRequest {
                    token: token.to_owned(),
                }),
        )
        .await
    }

    /// The shop's requests, newest first.
    pub async fn requests(&self, tenant: TenantId) -> Result<crate::RequestList, OrdersCallError> {
        self.json(self.http.get(self.url(tenant, &["privacy", "requests"])))
            .await
    }

    /// A request opened by the merchant on a visitor's behalf.
    pub async fn open_request(
        &self,
        tenant: TenantId,
        request: &crate::OpenRequest,
    ) -> Result<crate::RequestSummary, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["privacy", "requests", "on-behalf"]))
                .json(request),
        )
        .await
    }

    /// One request with the requester's details and what the shop holds.
    pub async fn request(
        &self,
        tenant: TenantId,
        id: crate::RequestId,
    ) -> Result<crate::RequestDetail, OrdersCallError> {
        let id = id.to_string();
        self.json(
            self.http
                .get(self.url(tenant, &["privacy", "requests", &id])),
        )
        .await
    }

    /// A step on a request: `export`, `erase`, `complete` or `refuse`.
    pub async fn act_on_request(
        &self,
        tenant: TenantId,
        id: crate::RequestId,
        step: &str,
        action: &crate::RequestAction,
    ) -> Result<crate::RequestDetail, OrdersCallError> {
        let id = id.to_string();
        self.json(
            self.http
                .post(self.url(tenant, &["privacy", "requests", &id, step]))
                .json(action),
        )
        .await
    }

    /// More time, once, with a reason sent to the requester.
    pub async fn extend_request(
        &self,
        tenant: TenantId,
        id: crate::RequestId,
        extension: &crate::ExtendRequest,
    ) -> Result<crate::RequestDetail, OrdersCallError> {
        let id = id.to_string();
        self.json(
            self.http
                .post(self.url(tenant, &["privacy", "requests", &id, "extend"]))
                .json(extension),
        )
        .await
    }

    /// Corrects the buyer's details on one order (for a correction request).
    pub async fn correct_order(
        &self,
        tenant: TenantId,
        order: OrderId,
        correction: &crate::CorrectOrder,
    ) -> Result<(), OrdersCallError> {
        let id = order.to_string();
        self.send(
            self.http
                .post(self.url(tenant, &["orders", &id, "correction"]))
                .json(correction),
        )
        .await
        .map(drop)
    }

    /// Applies (or, dry, counts) the shop's retention for the orders service's classes.
    pub async fn retention(
        &self,
        tenant: TenantId,
        run: &crate::RetentionRun,
    ) -> Result<crate::RetentionCounts, OrdersCallError> {
        self.json(self.http.post(self.url(tenant, &["retention"])).json(run))
            .await
    }

    /// Every order of the shop with the buyers' details (the merchant's export).
    pub async fn shop_orders(
        &self,
        tenant: TenantId,
    ) -> Result<crate::ShopOrders, OrdersCallError> {
        self.json(self.http.get(self.url(tenant, &["export", "orders"])))
            .await
    }

    /// Queues the notice of a material policy change to every buyer of the shop.
    pub async fn policy_notices(
        &self,
        tenant: TenantId,
        notices: &crate::PolicyNotices,
    ) -> Result<crate::PolicyNoticesQueued, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["policy-notices"]))
                .json(notices),
        )
        .await
    }

    /// A visitor asks for the shop's news: the same empty answer for every well-formed
    /// address; a confirmation link is mailed.
    pub async fn subscribe(
        &self,
        tenant: TenantId,
        request: &crate::Subscribe,
    ) -> Result<(), OrdersCallError> {
        self.send(
            self.http
                .post(self.url(tenant, &["subscriptions"]))
                .json(request),
        )
        .await
        .map(drop)
    }

    /// The subscriber confirms by the emailed token (double opt-in).
    pub async fn confirm_subscription(
        &self,
        tenant: TenantId,
        token: &str,
    ) -> Result<(), OrdersCallError> {
        self.send(
            self.http
                .post(self.url(tenant, &["subscriptions", "confirmations"]))
                .json(&crate::ConfirmRequest {
                    token: token.to_owned(),
                }),
        )
        .await
        .map(drop)
    }

    /// A subscriber withdraws by the secret of a mail's unsubscribe links.
    pub async fn unsubscribe(
        &self,
        tenant: TenantId,
        request: &crate::Unsubscribe,
    ) -> Result<(), OrdersCallError> {
        self.send(
            self.http
                .post(self.url(tenant, &["subscriptions", "withdrawals"]))
                .json(request),
        )
        .await
        .map(drop)
    }

    /// Subscriber counts and the newsletters sent.
    pub async fn newsletters(
        &self,
        tenant: TenantId,
    ) -> Result<crate::Newsletters, OrdersCallError> {
        self.json(self.http.get(self.url(tenant, &["newsletters"])))
            .await
    }

    /// Sends a newsletter to every confirmed subscriber now.
    pub async fn send_newsletter(
        &self,
        tenant: TenantId,
        newsletter: &crate::NewNewsletter,
    ) -> Result<crate::NewsletterSummary, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["newsletters"]))
                .json(newsletter),
        )
        .await
    }

    /// A child's checkout asks a guardian for consent; the child's handle.
    pub async fn ask_guardian(
        &self,
        tenant: TenantId,
        request: &crate::AskGuardian,
    ) -> Result<crate::GuardianHandle, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["guardian-consents"]))
                .json(request),
        )
        .await
    }

    /// Where the consent behind a child's handle stands.
    pub async fn guardian_state(
        &self,
        tenant: TenantId,
        handle: &str,
    ) -> Result<crate::GuardianState, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["guardian-consents", "state"]))
                .json(&crate::GuardianHandle {
                    handle: handle.to_owned(),
                }),
        )
        .await
    }

    /// The guardian decides by the emailed link's token.
    pub async fn decide_guardian(
        &self,
        tenant: TenantId,
        decision: &crate::GuardianDecision,
    ) -> Result<crate::GuardianState, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["guardian-consents", "decisions"]))
                .json(decision),
        )
        .await
    }

    /// The platform's public key for erasure certificates.
    pub async fn certificate_key(&self) -> Result<crate::CertificateKey, OrdersCallError> {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["v1", "certificate-key"]);
        }
        self.json(self.http.get(url)).await
    }
}
