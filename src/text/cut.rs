//! A value cut to a column's width, keeping the part that tells it apart from its neighbours.
//! Audit values share long beginnings (`arn:aws:sts::`, `google.cloud.`, `projects/p/locations/`)
//! and differ at their ends (a role session, an API method's verb, a resource's name), so cutting
//! them at the end, or blindly in the middle, leaves a column of look-alikes. Each shape below
//! says which of its parts a reader needs; anything else (prose, user agents, error messages)
//! is cut at its end.

use super::{cut_at_end, cut_at_start};

/// `text` in at most `width` characters: unchanged when it fits; otherwise cut with `…`,
/// keeping what tells the value apart:
/// - an AWS ARN keeps its account and its final name: `…111122223333:…/ci-session`;
/// - a dotted API method keeps its verb and as much of its start as fits:
///   `google.cloud.functions.…SetIamPolicy`;
/// - a path (a GCP resource name, an Azure resource id or operation) keeps its last segment and
///   as much of its start as fits: `projects/p/…/billing-export`;
/// - an e-mail address keeps its local part and the start of its domain;
/// - anything else is cut at its end.
pub fn cut(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    if width <= 1 {
        return "…".repeat(width);
    }
    if let Some(arn) = Arn::parse(text) {
        return arn.cut(width);
    }
    if text.contains(char::is_whitespace) {
        return cut_at_end(text, width);
    }
    if is_email(text) {
        return email(text, width);
    }
    if text.trim_end_matches('/').contains('/') {
        return path(text, width);
    }
    if let Some(dot) = method_verb(text) {
        return method(text, dot, width);
    }
    cut_at_end(text, width)
}

/// An AWS ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, split after its account.
struct Arn<'a> {
    text: &'a str,
    /// `arn:aws:sts::111122223333:`, the account last.
    head: &'a str,
    account: &'a str,
    /// `assumed-role/deployer/ci-session`, `secret:db-password-AbCdEf`, `bucket/key`.
    resource: &'a str,
}

impl<'a> Arn<'a> {
    /// An ARN with an account; `None` for anything else (and for ARNs without an account, such as
    /// an S3 object's, which read as paths).
    fn parse(text: &'a str) -> Option<Self> {
        if !text.starts_with("arn:") || text.contains(char::is_whitespace) {
            return None;
        }
        let mut colons = text.match_indices(':').map(|(i, _)| i);
        let account_start = colons.nth(3)? + 1;
        let account_end = colons.next()?;
        let account = &text[account_start..account_end];
        if account.is_empty() {
            return None;
        }
        Some(Arn {
            text,
            head: &text[..=account_end],
            account,
            resource: &text[account_end + 1..],
        })
    }

    /// The resource's final name: its last `/`- or `:`-separated segment (see [`final_name`]).
    fn final_name(&self) -> &'a str {
        final_name(self.resource, &['/', ':'])
    }

    /// The account and the final name always, whenever they fit with their `…`s; the room
    /// left goes to the resource (from its end: a role's name before a session's) and then to
    /// the service and region. Narrower than that, the final name's end.
    fn cut(&self, width: usize) -> String {
        let account = self.account.chars().count();
        let name = self.final_name().chars().count();
        let resource = self.resource.chars().count();
        // `…ACCOUNT:` and the whole resource, with as much of the service before as fits.
        if account + 2 + resource <= width {
            return format!("{}{}", cut_at_start(self.head, width - resource), self.resource);
        }
        // `…ACCOUNT:…/NAME` does not fit.
        if width < account + name + 4 {
            return cut_at_start(self.text, width);
        }
        format!("…{}:{}", self.account, cut_at_start(self.resource, width - account - 2))
    }
}

/// `local@domain.tld`, nothing else around it.
fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains(['@', '/', ':'])
                && !local.contains(['/', ':'])
        }
        None => false,
    }
}

/// An e-mail address keeps its local part (who) and the start of its domain (which project or
/// organisation), `…` at the end: the end of a domain (`.iam.gserviceaccount.com`) is the same
/// for every service account.
fn email(text: &str, width: usize) -> String {
    cut_at_end(text, width)
}

/// A path keeps its final name (its last segment, see [`final_name`]: `billing-export`, `vm1`,
/// `deallocate/action`) whole, then as much of its start (the project, the provider) as fits:
/// `projects/p/…/billing-export`. Narrower than the name, the name's end.
fn path(text: &str, width: usize) -> String {
    let trimmed = text.trim_end_matches('/');
    let tail = &text[trimmed.len() - final_name(trimmed, &['/']).len()..];
    let tail_chars = tail.chars().count();
    if width < tail_chars + 2 {
        return cut_at_start(text, width);
    }
    let head: String = text.chars().take(width - tail_chars - 2).collect();
    format!("{head}…/{tail}")
}

/// The last segment of `text` between `separators`, with the segments before it while they say
/// nothing alone: a version (`layer:my-extension:3`, `versions/latest`), Azure's `action`
/// (`virtualMachines/deallocate/action`).
fn final_name<'a>(text: &'a str, separators: &[char]) -> &'a str {
    let generic = |segment: &str| {
        matches!(segment, "action" | "latest" | "versions") || segment.bytes().all(|b| b.is_ascii_digit())
    };
    let mut start = text.len();
    while let Some(at) = text[..start].rfind(separators) {
        let segment = &text[at + 1..start];
        start = at + 1;
        if !generic(segment) {
            return &text[start..];
        }
        start = at;
    }
    text
}

/// Where the verb of a dotted API method starts (`google.cloud.functions.v1.CloudFunctionsService.
/// SetIamPolicy`, `v1.compute.instances.insert`): identifiers joined by dots, the last starting
/// with a letter (which leaves out addresses such as `203.0.113.66` and versions like `1.2.3`).
fn method_verb(text: &str) -> Option<usize> {
    let dot = text.rfind('.')?;
    let identifier = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let verb = &text[dot + 1..];
    (text.split('.').all(identifier) && verb.starts_with(|c: char| c.is_ascii_alphabetic())).then_some(dot + 1)
}

/// A dotted API method keeps its verb (what was done) whole and as much of its start (which API)
/// as fits: `google.cloud.functions.…SetIamPolicy`, so `CreateFunction` and `SetIamPolicy` of one
/// service stay apart. Narrower than the verb, the verb's start (`SetIamPol…`): verbs differ
/// first in their first word.
fn method(text: &str, verb_start: usize, width: usize) -> String {
    let verb = &text[verb_start..];
    let verb_chars = verb.chars().count();
    if width < verb_chars + 1 {
        return cut_at_end(verb, width);
    }
    let head: String = text[..verb_start - 1].chars().take(width - verb_chars - 1).collect();
    format!("{head}…{verb}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cut value is exactly as wide as asked.
    fn cut_to(text: &str, width: usize) -> String {
        let out = cut(text, width);
        assert_eq!(out.chars().count(), width, "{text} at {width}: {out}");
        out
    }

    #[test]
    fn a_value_that_fits_is_left_alone_and_the_narrowest_widths_still_say_something_was_cut() {
        assert_eq!(cut("AccessDenied", 12), "AccessDenied");
        assert_eq!(cut("AccessDenied", 40), "AccessDenied");
        assert_eq!(cut("AccessDenied", 1), "…");
        assert_eq!(cut("AccessDenied", 0), "");
        assert_eq!(cut("", 0), "");
        for value in [
            "arn:aws:sts::111122223333:assumed-role/deployer/ci-session",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "google.cloud.functions.v1.CloudFunctionsService.SetIamPolicy",
            "projects/p/locations/l/functions/billing-export",
            "deployer@proj.iam.gserviceaccount.com",
            "aws-cli/2.15.0 Python/3.11.6 Linux/6.1",
            "2001:db8:85a3::8a2e:370:7334",
        ] {
            for width in 1..value.chars().count() {
                cut_to(value, width);
            }
        }
    }

    #[test]
    fn an_assumed_role_keeps_its_account_and_its_session() {
        let arn = "arn:aws:sts::111122223333:assumed-role/deployer/ci-session";
        assert_eq!(cut_to(arn, 26), "…111122223333:…/ci-session");
        assert_eq!(cut_to(arn, 30), "…111122223333:…oyer/ci-session");
        assert_eq!(cut_to(arn, 35), "…111122223333:…/deployer/ci-session");
        // The whole resource, then the service before the account.
        assert_eq!(cut_to(arn, 46), "…111122223333:assumed-role/deployer/ci-session");
        assert_eq!(cut_to(arn, 51), "…sts::111122223333:assumed-role/deployer/ci-session");
        // Narrower than the account and the session with their `…`s: the session's end.
        assert_eq!(
            cut_to("arn:aws:sns:us-east-1:123456789012:my-topic", 22),
            "…123456789012:my-topic"
        );
        assert_eq!(
            cut_to("arn:aws:sns:us-east-1:123456789012:my-topic", 20),
            "…3456789012:my-topic"
        );
        assert_eq!(cut_to(arn, 25), "…role/deployer/ci-session");
        assert_eq!(cut_to(arn, 8), "…session");
    }

    #[test]
    fn arns_of_other_services_keep_their_account_and_name() {
        // Shapes from the public CloudTrail samples (stratus-red-team, IAM Identity Center).
        assert_eq!(
            cut_to(
                "arn:aws:secretsmanager:us-east-1:123837392027:secret:stratus-red-team-retrieve-secret-19-0HEVow",
                60
            ),
            "…123837392027:…et:stratus-red-team-retrieve-secret-19-0HEVow"
        );
        let sso = "arn:aws:iam::844015365555:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_account-admin_599c9e90e350d2ff";
        let shown = cut_to(sso, 62);
        assert!(
            shown.starts_with("…844015365555:…") && shown.ends_with("/AWSReservedSSO_account-admin_599c9e90e350d2ff"),
            "{shown}"
        );
        // A layer's version is no name: the layer's name comes with it.
        let layer = "arn:aws:lambda:us-east-1:712967571683:layer:my-lambda-extension:1";
        assert_eq!(cut_to(layer, 40), "…712967571683:…yer:my-lambda-extension:1");
        // An ARN without an account reads as a path.
        assert_eq!(
            cut_to("arn:aws:s3:::acme-trail-logs/AWSLogs/o-abc/2026/report.csv", 30),
            "arn:aws:s3:::acme-…/report.csv"
        );
    }

    #[test]
    fn methods_of_one_service_stay_apart_by_their_verbs() {
        let set = "google.cloud.functions.v1.CloudFunctionsService.SetIamPolicy";
        let create = "google.cloud.functions.v2.FunctionService.CreateFunction";
        assert_eq!(cut_to(set, 36), "google.cloud.functions.…SetIamPolicy");
        assert_eq!(cut_to(set, 20), "google.…SetIamPolicy");
        assert_eq!(cut_to(create, 20), "googl…CreateFunction");
        assert_eq!(
            cut_to("v1.compute.subnetworks.setPrivateIpGoogleAccess", 40),
            "v1.compute.subn…setPrivateIpGoogleAccess"
        );
        // Narrower than the verb: its start, where verbs differ.
        assert_eq!(cut_to(set, 13), "…SetIamPolicy");
        assert_eq!(cut_to(set, 10), "SetIamPol…");
        // An address is no method: cut at its end.
        assert_eq!(cut_to("203.0.113.66", 8), "203.0.1…");
    }

    #[test]
    fn paths_keep_their_last_segment_then_their_start() {
        assert_eq!(
            cut_to("projects/p/locations/l/functions/billing-export", 27),
            "projects/p/…/billing-export"
        );
        assert_eq!(
            cut_to("Microsoft.Compute/virtualMachines/write", 25),
            "Microsoft.Compute/…/write"
        );
        let vm = "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f/resourceGroups/rg-payments/providers/Microsoft.Compute/virtualMachines/vm1";
        assert_eq!(cut_to(vm, 30), "/subscriptions/6f1c2d3e-4…/vm1");
        // A name that says nothing alone comes with the one before it.
        assert_eq!(
            cut_to("Microsoft.Compute/virtualMachines/deallocate/action", 30),
            "Microsoft.C…/deallocate/action"
        );
        assert_eq!(
            cut_to("projects/acme-web/secrets/db-password/versions/latest", 40),
            "projects/ac…/db-password/versions/latest"
        );
        // Narrower than the last segment: its end.
        assert_eq!(
            cut_to("projects/p/locations/l/functions/billing-export", 10),
            "…ng-export"
        );
    }

    #[test]
    fn an_email_keeps_who_and_the_start_of_the_domain() {
        assert_eq!(
            cut_to("deployer@proj.iam.gserviceaccount.com", 20),
            "deployer@proj.iam.g…"
        );
        assert_eq!(
            cut_to("etl-runner@acme-data-warehouse.iam.gserviceaccount.com", 30),
            "etl-runner@acme-data-warehous…"
        );
    }

    #[test]
    fn prose_and_user_agents_are_cut_at_their_end() {
        assert_eq!(
            cut_to("is not authorized to perform this action", 20),
            "is not authorized t…"
        );
        assert_eq!(
            cut_to("aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64", 24),
            "aws-cli/2.15.0 Python/3…"
        );
    }
}
