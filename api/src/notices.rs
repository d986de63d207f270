//! The information service's feeds (信息服务): the notices the ledger publishes (a tender's
//! publication, amendments, opening record, candidate publicity, result, cancellation and the
//! supervisors' complaint decisions) as paged JSON at `GET /v1/notices` and as an Atom feed
//! (RFC 4287) of the newest at `GET /v1/notices.atom`. A thin shell: the node keeps the notices
//! by audit index as it applies entries; these handlers page and render them.

use actix_web::{HttpRequest, HttpResponse, web};
use atom_syndication::{Entry, Feed, FixedDateTime, Link, Text};
use serde::{Deserialize, Serialize};

use sealbid_ledger::notices::{Content, Notice};
use sealbid_ledger::ocds::date_time;

use crate::ApiState;
use crate::problem::Problem;

/// Notices sent in one page at most.
pub const NOTICES_PER_PAGE_MAX: u64 = 1_000;
/// Notices in a page when the client does not say.
const NOTICES_PER_PAGE_DEFAULT: u64 = 100;
/// Notices in the Atom feed: the newest.
pub const ATOM_ENTRIES: u64 = 50;
/// The most notices one entry publishes (an upheld complaint's re-tender publishes two).
const NOTICES_PER_ENTRY_MAX: u64 = 4;

/// Which notices to send.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoticeRange {
    /// The first audit index (default 0): notices of entries from it on.
    pub from: Option<u64>,
    /// How many at most (default 100, at most 1,000); a page never splits one entry's notices.
    pub count: Option<u64>,
    /// Only this tender's notices.
    pub tender: Option<String>,
    /// Only notices of this market's tenders.
    #[param(value_type = Option<String>)]
    pub market: Option<sealbid_ledger::types::Market>,
    /// Only notices of this office's tenders: its key, `ed25519:…`.
    pub office: Option<String>,
    /// Only notices of this kind: `tender`, `amendment`, `opening`, `candidates`, `result`,
    /// `cancellation`, `complaint_decision`.
    pub kind: Option<String>,
}

/// Which notices a page keeps of those it read.
struct NoticeFilter {
    /// The tender.
    tender: Option<sealbid_ledger::types::TenderId>,
    /// The market.
    market: Option<sealbid_ledger::types::Market>,
    /// The office.
    office: Option<sealbid_crypto::identity::PublicKey>,
    /// The kind's wire name.
    kind: Option<String>,
}

impl NoticeFilter {
    /// The filter `range` asks for, or a problem naming what does not parse.
    fn of(range: &NoticeRange) -> Result<Self, Problem> {
        let malformed = Problem::malformed_query;
        let office = range
            .office
            .as_deref()
            .map(|text| crate::queries::query_key("office", text))
            .transpose()?;
        if let Some(kind) = range.kind.as_deref().filter(|kind| !Content::KINDS.contains(kind)) {
            return Err(malformed(format!(
                "kind {:?}: one of {}",
                sealbid_ledger::types::excerpt(kind),
                Content::KINDS.join(", ")
            )));
        }
        Ok(Self {
            tender: range.tender.as_deref().map(crate::queries::parse_tender).transpose()?,
            market: range.market,
            office,
            kind: range.kind.clone(),
        })
    }

    /// Whether `notice` passes.
    fn keeps(&self, notice: &Notice) -> bool {
        self.tender.as_ref().is_none_or(|tender| notice.tender == *tender)
            && self.market.is_none_or(|market| notice.market == market)
            && self.office.as_ref().is_none_or(|office| notice.office == *office)
            && self.kind.as_deref().is_none_or(|kind| notice.content.kind() == kind)
    }
}

/// A page of notices.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoticePage {
    /// The notices, by audit index and position.
    pub notices: Vec<Notice>,
    /// Where the next page starts (`from`), if there may be more.
    pub next: Option<u64>,
}

/// A problem for storage that cannot be read.
fn unavailable(error: impl std::fmt::Display) -> Problem {
    Problem::unavailable("storage-unavailable", error.to_string())
}

/// Reads and decodes notices.
async fn read(state: &ApiState, from: u64, count: u64, newest: bool) -> Result<Vec<Notice>, Problem> {
    let rows = state.replica.notices(from, count, newest).await.map_err(unavailable)?;
    rows.iter()
        .map(|row| serde_json::from_str(row).map_err(unavailable))
        .collect()
}

/// The notices from an audit index on, paged.
#[utoipa::path(get, path = "/v1/notices", tag = "queries", params(NoticeRange),
    responses(
        (status = 200, description = "The notices of entries from `from` on, and where the next page starts", body = NoticePage),
        (status = 400, description = "A query that does not parse", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn page(state: web::Data<ApiState>, range: web::Query<NoticeRange>) -> Result<HttpResponse, Problem> {
    let filter = NoticeFilter::of(&range)?;
    let from = range.from.unwrap_or(0);
    let count = range
        .count
        .unwrap_or(NOTICES_PER_PAGE_DEFAULT)
        .clamp(1, NOTICES_PER_PAGE_MAX);
    let mut notices = read(&state, from, count + NOTICES_PER_ENTRY_MAX, false).await?;
    let more = u64::try_from(notices.len()).unwrap_or(u64::MAX) > count;
    if more {
        // Cut after `count`, but never inside one entry's notices.
        let cut = usize::try_from(count).unwrap_or(usize::MAX);
        let last = notices.get(cut.saturating_sub(1)).map(|notice| notice.audit_index);
        let end = notices
            .iter()
            .position(|notice| Some(notice.audit_index) > last)
            .unwrap_or(notices.len());
        notices.truncate(end);
    }
    let next = more
        .then(|| notices.last().map(|notice| notice.audit_index.saturating_add(1)))
        .flatten();
    // Filtered after the page is cut, so that `next` is where reading goes on.
    notices.retain(|notice| filter.keeps(notice));
    Ok(HttpResponse::Ok().json(NoticePage { notices, next }))
}

/// The newest notices as an Atom feed.
#[utoipa::path(get, path = "/v1/notices.atom", tag = "queries",
    responses((status = 200, description = "The newest 50 notices, newest first (Atom, RFC 4287)", content_type = "application/atom+xml")))]
pub async fn atom(request: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let notices = read(&state, u64::MAX, ATOM_ENTRIES, true).await?;
    let base = crate::queries::base_url(&request);
    let feed = feed(&notices, &base);
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(feed.to_string()))
}

/// An instant as Atom's date.
fn atom_date(timestamp_ms: u64) -> FixedDateTime {
    FixedDateTime::parse_from_rfc3339(&date_time(timestamp_ms)).unwrap_or_default()
}

/// The Atom feed of `notices` (newest first), links under `base`.
pub fn feed(notices: &[Notice], base: &str) -> Feed {
    let updated = notices.first().map_or(0, |notice| notice.published_at_ms);
    Feed {
        title: Text::plain("sealbid 交易公告 notices"),
        id: format!("{base}/v1/notices.atom"),
        updated: atom_date(updated),
        links: vec![Link {
            href: format!("{base}/v1/notices.atom"),
            rel: "self".into(),
            ..Link::default()
        }],
        entries: notices.iter().map(|notice| entry(notice, base)).collect(),
        ..Feed::default()
    }
}

/// One notice as an Atom entry: a title that says what and which tender, a summary a person
/// reads, the notice itself as JSON content.
fn entry(notice: &Notice, base: &str) -> Entry {
    let (label, summary) = describe(notice);
    Entry {
        title: Text::plain(format!("{} {}: {label}", notice.tender, notice.title)),
        id: format!("{base}/v1/notices?from={}#{}", notice.audit_index, notice.position),
        updated: atom_date(notice.published_at_ms),
        published: Some(atom_date(notice.published_at_ms)),
        links: vec![Link {
            href: format!("{base}/v1/tenders/{}", notice.tender),
            rel: "alternate".into(),
            ..Link::default()
        }],
        summary: Some(Text::plain(summary)),
        ..Entry::default()
    }
}

/// An amount of fen in yuan, with two decimals.
fn yuan(fen: u64) -> String {
    format!("{}.{:02} CNY", fen / 100, fen % 100)
}

/// What a notice is, in a few words, and what it says.
fn describe(notice: &Notice) -> (&'static str, String) {
    let office = &notice.office_name;
    match &notice.content {
        Content::Tender { deadline_ms, lots } => (
            "招标公告 tender notice",
            format!(
                "{office} publishes {} lot(s); bids until {}",
                lots.len(),
                date_time(*deadline_ms)
            ),
        ),
        Content::Amendment {
            notice: text,
            deadline_ms,
        } => (
            "澄清或修改 amendment",
            format!("{text} (deadline {})", date_time(*deadline_ms)),
        ),
        Content::Opening { bids } => {
            let lines: Vec<String> = bids
                .iter()
                .map(|bid| match bid.price_fen {
                    Some(price) => format!("lot {}: {} {}", bid.lot, bid.name, yuan(price)),
                    None => format!("lot {}: {} (unreadable)", bid.lot, bid.name),
                })
                .collect();
            ("开标记录 opening record", lines.join("; "))
        }
        Content::Candidates { ends_ms, lots, .. } => {
            let lines: Vec<String> = lots
                .iter()
                .flat_map(|(lot, ranked)| {
                    ranked.iter().map(move |candidate| {
                        format!(
                            "lot {lot} #{}: {} {}",
                            candidate.rank,
                            candidate.name,
                            yuan(candidate.price_fen)
                        )
                    })
                })
                .collect();
            (
                "中标候选人公示 candidates",
                format!("{} (until {})", lines.join("; "), date_time(*ends_ms)),
            )
        }
        Content::Result { lots } => {
            let lines: Vec<String> = lots
                .iter()
                .map(|(lot, result)| match result {
                    sealbid_ledger::notices::LotResult::Awarded { winners } => {
                        let names: Vec<String> = winners
                            .iter()
                            .map(|(_, name, pay_fen)| format!("{name} {}", yuan(*pay_fen)))
                            .collect();
                        format!("lot {lot}: {}", names.join(", "))
                    }
                    sealbid_ledger::notices::LotResult::Failed => format!("lot {lot}: failed (流标)"),
                })
                .collect();
            ("中标结果公告 result", lines.join("; "))
        }
        Content::Cancellation { reason } => ("终止公告 cancellation", reason.clone()),
        Content::ComplaintDecision { complaint, text, .. } => {
            ("投诉处理决定 complaint decision", format!("{complaint}: {text}"))
        }
    }
}
