//! The OpenAPI 3 document. Routes are registered through `utoipa_axum::routes!`, so the served router and
//! the document come from the same list; shared shapes (envelope, error, pagination) live here.

use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type,
        link::Link,
        path::{HttpMethod, Operation},
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

/// The success envelope every route answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiResponse<T: ToSchema> {
    /// Always `true`.
    pub success: bool,
    pub data: T,
}

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `validation_failed`, `not_found`, `account_exists`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// For `validation_failed`: `{"fields": [{"field", "reason"}]}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// Where a page sits in the whole list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pagination {
    /// 1-based page number.
    pub page: i64,
    pub per_page: i64,
    /// Items matching the filters, over all pages.
    pub total: i64,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ocean Sync API",
        description = "Manages marketplace accounts (Tokopedia shops) of Ocean ERP and triggers their syncs. \
                       Every /api route needs `Authorization: Bearer <token>`.",
        version = env!("CARGO_PKG_VERSION")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "accounts", description = "Marketplace accounts of an integration"),
        (name = "sync", description = "Sync triggers and connection tests"),
        (name = "access", description = "Per-account roles"),
        (name = "integrations", description = "Platform settings"),
        (name = "users", description = "Users and API tokens (global admins)"),
        (name = "health", description = "Probes and this document")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Answers every bearer-authenticated operation may give besides its own, added to each of them as shared
/// responses: 429 when the caller's address sent too many wrong tokens (see `throttle`), 503 when the
/// database cannot be reached. Both carry `Retry-After`.
///
/// Applied to the document built from the registered routes (`api_routes`): the `modifiers` of
/// [`ApiDoc`] run before any route is merged in.
pub struct AuthenticatedRefusals;

const TOO_MANY_REQUESTS: &str = "TooManyRequests";
const DATABASE_UNAVAILABLE: &str = "DatabaseUnavailable";
const RETRY_AFTER: &str = "Retry-After";

impl Modify for AuthenticatedRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let default_security = openapi.security.clone();
        let components = openapi.components.get_or_insert_with(Default::default);
        let retry_after = HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))))
            .description(Some("Seconds to wait before retrying."))
            .build();
        components.headers.insert(RETRY_AFTER.into(), retry_after.into());
        for (name, description) in [
            (
                TOO_MANY_REQUESTS,
                "`too_many_requests`: too many wrong tokens came from the caller's address; tokens already in \
                 use from it keep working. Retry after `Retry-After` seconds.",
            ),
            (
                DATABASE_UNAVAILABLE,
                "`database_unavailable`: the database cannot be reached; the request can be retried unchanged \
                 after `Retry-After` seconds.",
            ),
        ] {
            let response = ResponseBuilder::new()
                .description(description)
                .header_ref(RETRY_AFTER, Ref::new(format!("#/components/headers/{RETRY_AFTER}")))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build();
            components.responses.insert(name.into(), response.into());
        }
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                if needs_token(operation, default_security.as_deref()) {
                    let responses = &mut operation.responses.responses;
                    for (status, name) in [("429", TOO_MANY_REQUESTS), ("503", DATABASE_UNAVAILABLE)] {
                        responses
                            .entry(status.into())
                            .or_insert_with(|| Ref::from_response_name(name).into());
                    }
                }
            }
        }
    }
}

/// Whether the operation can be called only with a token: it has security requirements (its own or the
/// document's), none of them empty (which would make the token optional).
fn needs_token(operation: &Operation, default: Option<&[SecurityRequirement]>) -> bool {
    let requirements = operation.security.as_deref().or(default).unwrap_or_default();
    !requirements.is_empty() && !requirements.contains(&SecurityRequirement::default())
}

/// Links from what a call creates to the calls that use it, so a generated client can follow them with the
/// right parameters instead of guessing (each link names its target's `operationId`).
pub struct FollowUpLinks;

const ACCOUNTS: &str = "/api/integrations/{integration_id}/accounts";
const ACCOUNT: &str = "/api/integrations/{integration_id}/accounts/{id}";
const USERS: &str = "/api/users";
const TOKENS: &str = "/api/users/{id}/tokens";
const TOKEN: &str = "/api/users/{id}/tokens/{token_id}";
const SYNC: &str = "/api/integrations/{integration_id}/accounts/{id}/sync";

/// A link from the success answer of `from` to the operation `to`, filling `to`'s path parameters.
struct FollowUp {
    from: (HttpMethod, &'static str),
    status: &'static str,
    name: &'static str,
    to: (HttpMethod, &'static str),
    parameters: &'static [(&'static str, &'static str)],
}

const fn after_create_account(name: &'static str, to: (HttpMethod, &'static str)) -> FollowUp {
    FollowUp {
        from: (HttpMethod::Post, ACCOUNTS),
        status: "201",
        name,
        to,
        parameters: ACCOUNT_PARAMS,
    }
}

const LINKS: &[FollowUp] = &[
    after_create_account("GetAccount", (HttpMethod::Get, ACCOUNT)),
    after_create_account("UpdateAccount", (HttpMethod::Put, ACCOUNT)),
    after_create_account("DeleteAccount", (HttpMethod::Delete, ACCOUNT)),
    after_create_account("SyncAccount", (HttpMethod::Post, SYNC)),
    FollowUp {
        from: (HttpMethod::Post, USERS),
        status: "201",
        name: "IssueToken",
        to: (HttpMethod::Post, TOKENS),
        parameters: &[("id", "$response.body#/data/id")],
    },
    FollowUp {
        from: (HttpMethod::Post, TOKENS),
        status: "201",
        name: "RevokeToken",
        to: (HttpMethod::Delete, TOKEN),
        parameters: &[("id", "$request.path.id"), ("token_id", "$response.body#/data/id")],
    },
];

const ACCOUNT_PARAMS: &[(&str, &str)] = &[
    ("integration_id", "$request.path.integration_id"),
    ("id", "$response.body#/data/id"),
];

fn operation<'a>(
    openapi: &'a mut utoipa::openapi::OpenApi,
    method: &HttpMethod,
    path: &str,
) -> Option<&'a mut Operation> {
    let item = openapi.paths.paths.get_mut(path)?;
    match method {
        HttpMethod::Get => item.get.as_mut(),
        HttpMethod::Put => item.put.as_mut(),
        HttpMethod::Post => item.post.as_mut(),
        HttpMethod::Delete => item.delete.as_mut(),
        HttpMethod::Patch => item.patch.as_mut(),
        HttpMethod::Head => item.head.as_mut(),
        HttpMethod::Options => item.options.as_mut(),
        HttpMethod::Trace => item.trace.as_mut(),
    }
}

impl Modify for FollowUpLinks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for FollowUp {
            from,
            status,
            name,
            to,
            parameters,
        } in LINKS
        {
            let Some(target) = operation(openapi, &to.0, to.1).and_then(|o| o.operation_id.clone()) else {
                continue;
            };
            let link = parameters
                .iter()
                .fold(Link::builder().operation_id(target), |link, (param, expression)| {
                    link.parameter(*param, *expression)
                })
                .build();
            if let Some(RefOr::T(response)) =
                operation(openapi, &from.0, from.1).and_then(|o| o.responses.responses.get_mut(*status))
            {
                response.links.insert((*name).to_owned(), link.into());
            }
        }
    }
}
