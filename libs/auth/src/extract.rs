//! Extractors that state what a handler needs, for any service whose state is a
//! [`SessionAuthority`]: a session, a role, a CSRF-checked form, or (for pages) a session
//! or else the login page. Refusals become the service's own error type, so its one status
//! table answers them.

use std::marker::PhantomData;

use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;

use crate::{csrf, secrets_equal};

/// Someone with a session: a staff member, a platform operator.
pub trait Principal: Clone + Send + Sync + 'static {
    /// The roles principals of this kind hold (a set: one person may hold several).
    type Roles: Copy + Send;
    /// This principal's roles.
    fn roles(&self) -> Self::Roles;
    /// The session's CSRF token.
    fn csrf_token(&self) -> &str;
}

/// Why a request was refused before its handler ran.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No valid session.
    #[error("not authenticated")]
    Unauthenticated,
    /// The role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// Missing or wrong CSRF token.
    #[error("csrf")]
    Csrf,
    /// The form does not parse.
    #[error("malformed form")]
    Form(#[source] axum::extract::rejection::FormRejection),
    /// A file upload (`multipart/form-data`) does not parse (422) or is larger than the
    /// route takes (413).
    #[error("malformed upload: {1}")]
    Upload(axum::http::StatusCode, String),
}

/// A service's state that can tell who a request's session belongs to.
pub trait SessionAuthority<P: Principal>: Send + Sync {
    /// The service's error type, which answers refusals in its status table.
    type Error: From<Refusal> + IntoResponse + Send;

    /// The principal of the request's session; `None` without a valid one. The
    /// extensions carry what the connection proved (a client certificate, say).
    fn authenticate(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> impl Future<Output = Result<Option<P>, Self::Error>> + Send;

    /// Where a page sends a visitor without a session.
    fn login_path(&self) -> &'static str {
        "/login"
    }
}

/// What a handler requires of the principal's roles.
pub trait RoleRequirement<R>: Send + Sync + 'static {
    /// These roles may do it.
    fn allows(roles: R) -> bool;
}

/// Any role.
pub struct Anyone;

impl<R> RoleRequirement<R> for Anyone {
    fn allows(_: R) -> bool {
        true
    }
}

async fn session<S, P>(
    headers: &HeaderMap,
    extensions: &Extensions,
    state: &S,
) -> Result<P, S::Error>
where
    S: SessionAuthority<P>,
    P: Principal,
{
    state
        .authenticate(headers, extensions)
        .await?
        .ok_or_else(|| S::Error::from(Refusal::Unauthenticated))
}

/// API: a valid session, and for unsafe methods its CSRF token in `x-csrf-token`.
pub struct Authenticated<P>(pub P);

impl<S, P> FromRequestParts<S> for Authenticated<P>
where
    S: SessionAuthority<P>,
    P: Principal,
{
    type Rejection = S::Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = session(&parts.headers, &parts.extensions, state).await?;
        if !csrf::is_safe(&parts.method)
            && !csrf::header_matches(&parts.headers, principal.csrf_token())
        {
            return Err(Refusal::Csrf.into());
        }
        Ok(Authenticated(principal))
    }
}

/// API: as [`Authenticated`], and the role must satisfy `Req`.
pub struct RequireRole<Req, P>(pub P, pub PhantomData<Req>);

impl<S, P, Req> FromRequestParts<S> for RequireRole<Req, P>
where
    S: SessionAuthority<P>,
    P: Principal,
    Req: RoleRequirement<P::Roles>,
{
    type Rejection = S::Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Authenticated(principal) = Authenticated::from_request_parts(parts, state).await?;
        if !Req::allows(principal.roles()) {
            return Err(Refusal::Forbidden.into());
        }
        Ok(RequireRole(principal, PhantomData))
    }
}

/// A form that carries the session's CSRF token in a `csrf` field.
pub trait CsrfField {
    /// The submitted token.
    fn csrf(&self) -> &str;
}

/// Console form: a valid session, a form that parses and carries the session's CSRF
/// token, and a role that satisfies `Req`.
pub struct CheckedForm<P, T, Req = Anyone>(pub P, pub T, pub PhantomData<Req>);

impl<S, P, T, Req> FromRequest<S> for CheckedForm<P, T, Req>
where
    S: SessionAuthority<P>,
    P: Principal,
    T: CsrfField + DeserializeOwned + Send,
    Req: RoleRequirement<P::Roles>,
{
    type Rejection = S::Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let principal = session(request.headers(), request.extensions(), state).await?;
        let Form(form) = Form::<T>::from_request(request, state)
            .await
            .map_err(|e| S::Error::from(Refusal::Form(e)))?;
        if !secrets_equal(form.csrf(), principal.csrf_token()) {
            return Err(Refusal::Csrf.into());
        }
        if !Req::allows(principal.roles()) {
            return Err(Refusal::Forbidden.into());
        }
        Ok(CheckedForm(principal, form, PhantomData))
    }
}

/// One part of an uploaded form.
#[derive(Debug, Clone)]
pub struct UploadedPart {
    /// The field name.
    pub name: String,
    /// The file name the browser sent (files only).
    pub file_name: Option<String>,
    /// The content.
    pub bytes: axum::body::Bytes,
}

/// The parts of an uploaded form, in the order sent.
#[derive(Debug, Clone, Default)]
pub struct UploadedForm {
    /// Every part.
    pub parts: Vec<UploadedPart>,
}

impl UploadedForm {
    /// The text of a field (empty when absent or not UTF-8).
    pub fn text(&self, name: &str) -> &str {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| std::str::from_utf8(&p.bytes).ok())
            .unwrap_or("")
    }

    /// The files sent under `name` (a browser sends an empty one when none was chosen;
    /// those are left out).
    pub fn files<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a UploadedPart> + 'a {
        self.parts
            .iter()
            .filter(move |p| p.name == name && p.file_name.is_some() && !p.bytes.is_empty())
    }
}

/// Console upload form (`multipart/form-data`): as [`CheckedForm`], with the CSRF token in
/// a `csrf` part. The whole form is read first; the route's body limit bounds it.
pub struct CheckedUpload<P, Req = Anyone>(pub P, pub UploadedForm, pub PhantomData<Req>);

impl<S, P, Req> FromRequest<S> for CheckedUpload<P, Req>
where
    S: SessionAuthority<P>,
    P: Principal,
    Req: RoleRequirement<P::Roles>,
{
    type Rejection = S::Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let principal = session(request.headers(), request.extensions(), state).await?;
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|e| S::Error::from(Refusal::Upload(e.status(), e.body_text())))?;
        let mut form = UploadedForm::default();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| S::Error::from(Refusal::Upload(e.status(), e.body_text())))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| S::Error::from(Refusal::Upload(e.status(), e.body_text())))?;
            form.parts.push(UploadedPart {
                name,
                file_name,
                bytes,
            });
        }
        if !secrets_equal(form.text("csrf"), principal.csrf_token()) {
            return Err(Refusal::Csrf.into());
        }
        if !Req::allows(principal.roles()) {
            return Err(Refusal::Forbidden.into());
        }
        Ok(CheckedUpload(principal, form, PhantomData))
    }
}

/// A page refused: to the login page, or the service's error.
pub enum PageRefusal<E> {
    /// No session: log in first, then come back.
    Login(Redirect),
    /// Anything else.
    Error(E),
}

impl<E: IntoResponse> IntoResponse for PageRefusal<E> {
    fn into_response(self) -> Response {
        match self {
            PageRefusal::Login(r) => r.into_response(),
            PageRefusal::Error(e) => e.into_response(),
        }
    }
}

/// The login page with the requested page to return to.
fn login_redirect(login: &str, uri: &Uri) -> Redirect {
    let back = uri.path_and_query().map_or("/", |p| p.as_str());
    match serde_urlencoded::to_string([("next", back)]) {
        Ok(query) => Redirect::to(&format!("{login}?{query}")),
        Err(_) => Redirect::to(login),
    }
}

/// Page: a valid session, or a redirect to the login page (which brings the visitor back).
pub struct PageSession<P>(pub P);

impl<S, P> FromRequestParts<S> for PageSession<P>
where
    S: SessionAuthority<P>,
    P: Principal,
{
    type Rejection = PageRefusal<S::Error>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match state.authenticate(&parts.headers, &parts.extensions).await {
            Ok(Some(p)) => Ok(PageSession(p)),
            Ok(None) => Err(PageRefusal::Login(login_redirect(
                state.login_path(),
                &parts.uri,
            ))),
            Err(e) => Err(PageRefusal::Error(e)),
        }
    }
}

/// Page: as [`PageSession`], and the roles must satisfy `Req` (else the service's
/// forbidden answer, on its error page).
pub struct PageRole<Req, P>(pub P, pub PhantomData<Req>);

impl<S, P, Req> FromRequestParts<S> for PageRole<Req, P>
where
    S: SessionAuthority<P>,
    P: Principal,
    Req: RoleRequirement<P::Roles>,
{
    type Rejection = PageRefusal<S::Error>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PageSession(principal) = PageSession::from_request_parts(parts, state).await?;
        if !Req::allows(principal.roles()) {
            return Err(PageRefusal::Error(Refusal::Forbidden.into()));
        }
        Ok(PageRole(principal, PhantomData))
    }
}
