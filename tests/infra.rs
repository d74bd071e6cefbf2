//! infra/template.yaml against the code: the HTTP API's routes against the
//! route lists each binary names, the template's functions against the
//! binaries of lambdas/src/bin, the environment variables against what
//! the code reads, and each function's IAM policy against
//! infra/iam_actions.tsv. No AWS, no network: it reads files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use functions::backend::aws::AwsResources;
use functions::handlers;
use functions::http::routes::Route;
use functions::portal::config::PortalConfig;
use serde_norway::Value;

/// Variables the code reads that only the local portal uses (where to
/// listen, which backend, the embedded backend's files, the page's files):
/// a Lambda is the AWS backend, answers the runtime API and serves no page.
/// Nor does it have connections of its own or an outbox.
const PORTAL_ONLY: &[&str] = &[
    "PORTAL_ADDR",
    "PORTAL_BACKEND",
    "PORTAL_DATA_DIR",
    "PORTAL_WEB_DIR",
    "PORTAL_DEV_OUTBOX",
    "PORTAL_READ_TIMEOUT_SECS",
    "PORTAL_MAX_CONNECTIONS",
];

/// One of these names the KMS key (backend/aws.rs): either will do.
const KMS_KEY: &[&str] = &["PORTAL_KMS_KEY_ID", "PORTAL_KMS_ALIAS"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

struct Function {
    /// The binary, from CodeUri `../target/lambda/<name>/bootstrap.zip`.
    name: String,
    routes: BTreeSet<(String, String)>,
    env: BTreeSet<String>,
    /// (action, resource token as in iam_actions.tsv)
    policy: BTreeSet<(String, String)>,
    reserved_concurrency: Option<u64>,
    /// Timeout in seconds, its own or the Globals'.
    timeout: u64,
}

struct Template {
    functions: BTreeMap<String, Function>,
}

fn tagged(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((t.tag.to_string().trim_start_matches('!').to_owned(), &t.value)),
        _ => None,
    }
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("expected a string, got {other:?}"),
    }
}

fn list_of(v: &Value) -> Vec<&Value> {
    match v {
        Value::Sequence(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// The token of iam_actions.tsv for a statement's Resource.
fn resource_token(v: &Value, own_logs: &str) -> String {
    match tagged(v) {
        Some((tag, value)) if tag == "GetAtt" => match str_of(value).as_str() {
            "EventsTable.Arn" => "events".into(),
            "EventsTable.StreamArn" => "events-stream".into(),
            "StateTable.Arn" => "state".into(),
            "TotpKey.Arn" => "totp-key".into(),
            "ProjectorFailures.Arn" => "projector-dlq".into(),
            other if other == format!("{own_logs}.Arn") => "log-group".into(),
            other => panic!("a policy names {other}, which has no token in iam_actions.tsv"),
        },
        Some((tag, value)) if tag == "Ref" && str_of(value) == "SigningSecret" => "signing-secret".into(),
        Some((tag, value)) if tag == "Sub" && str_of(value).contains(":ses:") => "ses-identity".into(),
        // Keys by their aliases: only with a kms:ResourceAliases condition
        // (`oidc_signing_keys_are_reached_only_through_their_aliases`).
        Some((tag, value)) if tag == "Sub" && str_of(value).contains(":kms:") => "oidc-keys".into(),
        None if str_of(v) == "*" => "sms".into(),
        _ => panic!("a policy names an unknown resource {v:?}"),
    }
}

fn env_names(properties: &Value) -> BTreeSet<String> {
    properties
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_mapping)
        .map(|vars| vars.keys().map(str_of).collect())
        .unwrap_or_default()
}

fn template() -> Template {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    let doc: Value = serde_norway::from_str(&text).expect("infra/template.yaml parses as YAML");
    let global_env = doc.get("Globals").and_then(|g| g.get("Function")).map(env_names).unwrap_or_default();
    let global_timeout = doc.get("Globals").and_then(|g| g.get("Function")).and_then(|f| f.get("Timeout"));
    let resources = doc["Resources"].as_mapping().expect("Resources");
    let mut functions = BTreeMap::new();
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = str_of(id);
        let props = &resource["Properties"];
        let code = str_of(&props["CodeUri"]);
        let name = code
            .strip_prefix("../target/lambda/")
            .and_then(|rest| rest.strip_suffix("/bootstrap.zip"))
            .unwrap_or_else(|| panic!("{id}: CodeUri {code} is not ../target/lambda/<function>/bootstrap.zip"))
            .to_owned();
        let mut routes = BTreeSet::new();
        if let Some(events) = props.get("Events").and_then(Value::as_mapping) {
            for event in events.values() {
                if event["Type"].as_str() == Some("HttpApi") {
                    let p = &event["Properties"];
                    routes.insert((str_of(&p["Method"]), str_of(&p["Path"])));
                }
            }
        }
        let env = global_env.union(&env_names(props)).cloned().collect();
        let timeout = props.get("Timeout").or(global_timeout).and_then(Value::as_u64).unwrap_or(3); // Lambda's default
        // The role: `Role: !GetAtt <X>Role.Arn`, with inline policies only.
        let (tag, role_ref) = tagged(&props["Role"]).unwrap_or_else(|| panic!("{id}: Role must be !GetAtt <role>.Arn"));
        assert_eq!(tag, "GetAtt", "{id}: Role");
        let role_id = str_of(role_ref).strip_suffix(".Arn").expect("Role: !GetAtt <role>.Arn").to_owned();
        let role = &resources[role_id.as_str()];
        assert_eq!(role["Type"].as_str(), Some("AWS::IAM::Role"), "{id}: {role_id} is not a role");
        assert!(
            role["Properties"].get("ManagedPolicyArns").is_none(),
            "{role_id}: managed policies are not least privilege"
        );
        let own_logs = format!("{}Logs", id.strip_suffix("Function").unwrap_or(&id));
        let mut policy = BTreeSet::new();
        for p in list_of(&role["Properties"]["Policies"]) {
            for statement in list_of(&p["PolicyDocument"]["Statement"]) {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{role_id}: only Allow statements");
                for resource in list_of(&statement["Resource"]) {
                    let token = resource_token(resource, &own_logs);
                    for action in list_of(&statement["Action"]) {
                        policy.insert((str_of(action), token.clone()));
                    }
                }
            }
        }
        let reserved_concurrency = props.get("ReservedConcurrentExecutions").map(|v| {
            v.as_u64().unwrap_or_else(|| panic!("{id}: ReservedConcurrentExecutions must be a number, got {v:?}"))
        });
        let function = Function { name: name.clone(), routes, env, policy, reserved_concurrency, timeout };
        assert!(functions.insert(name, function).is_none(), "{code} twice");
    }
    Template { functions }
}

/// Each Lambda binary of lambdas/src/bin with the routes of the lists it
/// names in `run_http(&[group::ROUTES, ...])`: the one place that says
/// which function serves what.
pub(crate) fn binary_routes() -> BTreeMap<String, Vec<&'static Route>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("lambdas/src/bin")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let Some(start) = source.find("run_http(&[") else { continue };
        let named = &source[start + "run_http(&[".len()..];
        let named = &named[..named.find(']').expect("run_http(&[...])")];
        let routes = named
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .flat_map(|n| {
                let group = n.strip_suffix("::ROUTES").unwrap_or_else(|| panic!("{name}: {n} is not a group's ROUTES"));
                let list = handlers::ALL
                    .iter()
                    .find(|l| l.group.rsplit("::").next() == Some(group))
                    .unwrap_or_else(|| panic!("{name}: {n} is not in handlers::ALL"));
                list.routes.iter()
            })
            .collect();
        out.insert(name, routes);
    }
    out
}

fn code_routes() -> BTreeSet<(String, String, String)> {
    binary_routes()
        .into_iter()
        .flat_map(|(f, routes)| routes.into_iter().map(move |r| (f.clone(), r.method.to_owned(), r.path.to_owned())))
        .collect()
}

#[test]
fn every_route_but_the_dev_outbox_is_served_by_exactly_one_function() {
    let served: Vec<(String, String)> = code_routes().into_iter().map(|(_, method, path)| (method, path)).collect();
    let mut all: Vec<(String, String)> = handlers::ALL
        .iter()
        .flat_map(|l| l.routes)
        .filter(|r| r.path != "/dev/outbox")
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    all.sort();
    let mut served_sorted = served.clone();
    served_sorted.sort();
    assert_eq!(served_sorted, all, "routes of the binaries' lists vs handlers::ALL");
}

#[test]
fn the_api_has_exactly_the_routes_of_the_route_table() {
    let t = template();
    let in_template: BTreeSet<(String, String, String)> = t
        .functions
        .values()
        .flat_map(|f| f.routes.iter().map(|(m, p)| (f.name.clone(), m.clone(), p.clone())))
        .collect();
    let code = code_routes();
    let missing: Vec<_> = code.difference(&in_template).collect();
    let extra: Vec<_> = in_template.difference(&code).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "(function, method, path) in the binaries' lists only: {missing:?}; in infra/template.yaml only: {extra:?}"
    );
}

#[test]
fn every_function_binary_is_in_the_template_and_nothing_else() {
    let t = template();
    let binaries: BTreeSet<String> = std::fs::read_dir(root().join("lambdas/src/bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
        .collect();
    let in_template: BTreeSet<String> = t.functions.keys().cloned().collect();
    assert_eq!(in_template, binaries, "functions of infra/template.yaml vs binaries of lambdas/src/bin");
}

#[test]
fn exactly_the_functions_that_run_argon2_have_reserved_concurrency() {
    let t = template();
    let lists = binary_routes();
    let argon2: BTreeSet<&str> =
        lists.iter().filter(|(_, routes)| routes.iter().any(|r| r.runs_argon2)).map(|(f, _)| f.as_str()).collect();
    let reserved: BTreeSet<&str> =
        t.functions.values().filter(|f| f.reserved_concurrency.is_some()).map(|f| f.name.as_str()).collect();
    assert_eq!(reserved, argon2, "functions with ReservedConcurrentExecutions vs functions that run argon2");
    // AWS keeps 100 of the account's default 1,000 unreserved.
    let total: u64 = t.functions.values().filter_map(|f| f.reserved_concurrency).sum();
    assert!(t.functions.values().all(|f| f.reserved_concurrency != Some(0)), "0 would switch a function off");
    assert!(total <= 900, "{total} reserved: more than a default account allows");
}

/// Every variable the code looks up: the lookups record each name asked.
fn variables_the_code_reads() -> BTreeSet<String> {
    let asked = Mutex::new(BTreeSet::new());
    let record = |name: &str| {
        asked.lock().unwrap().insert(name.to_owned());
        None
    };
    AwsResources::from_lookup(record);
    PortalConfig::from_lookup(record).expect("the defaults are a valid configuration");
    asked.into_inner().unwrap()
}

#[test]
fn every_function_gets_the_variables_the_code_reads_and_no_others() {
    let read = variables_the_code_reads();
    for name in PORTAL_ONLY.iter().chain(KMS_KEY) {
        assert!(read.contains(*name), "the code no longer reads {name}: update this test");
    }
    let required: BTreeSet<String> =
        read.iter().filter(|n| !PORTAL_ONLY.contains(&n.as_str()) && !KMS_KEY.contains(&n.as_str())).cloned().collect();
    for f in template().functions.values() {
        let missing: Vec<_> = required.difference(&f.env).collect();
        assert!(missing.is_empty(), "{}: the code reads {missing:?}, the template does not set it", f.name);
        let unread: Vec<_> = f.env.iter().filter(|n| !read.contains(*n) || PORTAL_ONLY.contains(&n.as_str())).collect();
        assert!(unread.is_empty(), "{}: the template sets {unread:?}, which no Lambda reads", f.name);
        let kms = KMS_KEY.iter().filter(|n| f.env.contains(**n)).count();
        assert_eq!(kms, 1, "{}: exactly one of {KMS_KEY:?}", f.name);
    }
}

pub(crate) fn iam_table() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let text = std::fs::read_to_string(root().join("infra/iam_actions.tsv")).unwrap();
    let mut table: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() == 4 && cols[3].trim().len() > 3,
            "iam_actions.tsv line {}: function, action, resource, why",
            i + 1
        );
        table.entry(cols[0].to_owned()).or_default().insert((cols[1].to_owned(), cols[2].to_owned()));
    }
    table
}

#[test]
fn each_role_allows_exactly_the_actions_of_iam_actions_tsv() {
    let table = iam_table();
    let t = template();
    let functions: BTreeSet<&String> = t.functions.keys().collect();
    assert_eq!(table.keys().collect::<BTreeSet<_>>(), functions, "functions of iam_actions.tsv vs the template");
    for f in t.functions.values() {
        let want = &table[&f.name];
        let extra: Vec<_> = f.policy.difference(want).collect();
        let missing: Vec<_> = want.difference(&f.policy).collect();
        assert!(extra.is_empty(), "{}: the role allows (action, resource) {extra:?}, not in iam_actions.tsv", f.name);
        assert!(missing.is_empty(), "{}: iam_actions.tsv lists {missing:?}, the role does not allow it", f.name);
    }
}

/// One AWS call that keeps failing (every attempt timing out, the longest
/// pauses between them) gives up after `worst_case_call`; the function must
/// still have time to answer 503 and to make the calls before it, so the
/// worst case may take at most half of any function's Timeout.
#[test]
fn the_worst_case_of_one_aws_call_fits_well_inside_every_function_timeout() {
    let worst = functions::backend::aws::worst_case_call();
    for f in template().functions.values() {
        assert!(
            worst * 2 <= std::time::Duration::from_secs(f.timeout),
            "{}: Timeout {} s, but one AWS call may take {worst:?} (backend/aws.rs)",
            f.name,
            f.timeout
        );
    }
}

fn template_doc() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    serde_norway::from_str(&text).expect("infra/template.yaml parses as YAML")
}

/// `!Ref <name>`'s name.
fn ref_name(v: &Value) -> Option<String> {
    tagged(v).filter(|(tag, _)| tag == "Ref").map(|(_, name)| str_of(name))
}

/// `!Sub <text>`'s text.
fn sub_text(v: &Value) -> Option<String> {
    tagged(v).filter(|(tag, _)| tag == "Sub").map(|(_, text)| str_of(text))
}

/// The issuer is PublicUrl, the CloudFront origin: whatever path the HTTP
/// API serves must be forwarded there, or discovery, the OpenID Connect
/// endpoints and the JWKS (and with them API Gateway's JWT authorizer)
/// would get the page instead.
#[test]
fn cloudfront_forwards_every_route_of_the_api_to_the_api() {
    let doc = template_doc();
    let behaviors = doc["Resources"]["Web"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
        .as_sequence()
        .expect("CacheBehaviors");
    let to_api: Vec<String> = behaviors
        .iter()
        .filter(|b| b["TargetOriginId"].as_str() == Some("api"))
        .map(|b| str_of(&b["PathPattern"]))
        .collect();
    let forwarded = |path: &str| {
        to_api.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == pattern,
        })
    };
    let missing: Vec<_> = template()
        .functions
        .values()
        .flat_map(|f| f.routes.iter().map(|(_, path)| path.clone()))
        .filter(|path| !forwarded(path))
        .collect();
    assert!(missing.is_empty(), "routes CloudFront serves from the page bucket, not the API: {missing:?}");
}

/// The example route of a customer's own API: API Gateway's built-in JWT
/// authorizer trusts the portal (issuer PublicUrl) for an audience the
/// deployer names, and reads the Bearer token.
#[test]
fn the_example_api_route_is_guarded_by_a_jwt_authorizer_for_the_portals_issuer() {
    let doc = template_doc();
    let resources = &doc["Resources"];
    let route = resources
        .as_mapping()
        .unwrap()
        .values()
        .find(|r| {
            r["Type"].as_str() == Some("AWS::ApiGatewayV2::Route")
                && r["Properties"]["AuthorizationType"].as_str() == Some("JWT")
        })
        .expect("a route with AuthorizationType JWT");
    let authorizer_id = ref_name(&route["Properties"]["AuthorizerId"]).expect("AuthorizerId: !Ref <authorizer>");
    let authorizer = &resources[authorizer_id.as_str()];
    assert_eq!(authorizer["Type"].as_str(), Some("AWS::ApiGatewayV2::Authorizer"));
    let props = &authorizer["Properties"];
    assert_eq!(props["AuthorizerType"].as_str(), Some("JWT"));
    assert_eq!(ref_name(&props["ApiId"]).as_deref(), Some("Api"));
    assert_eq!(
        list_of(&props["IdentitySource"]).iter().map(|v| str_of(v)).collect::<Vec<_>>(),
        ["$request.header.Authorization"]
    );
    assert_eq!(
        ref_name(&props["JwtConfiguration"]["Issuer"]).as_deref(),
        Some("PublicUrl"),
        "the issuer is the portal's"
    );
    let audience = list_of(&props["JwtConfiguration"]["Audience"]);
    assert_eq!(audience.len(), 1);
    let parameter = ref_name(audience[0]).expect("the audience is a parameter");
    assert!(doc["Parameters"].get(parameter.as_str()).is_some(), "{parameter} is not a parameter");
}

/// The OpenID Connect signing key is an RS256 key in KMS (RSA_2048: the JWT
/// authorizer of an HTTP API takes RSA keys only), named by the
/// alias the functions read (PORTAL_OIDC_KEY_ALIAS), and a role reaches
/// keys of the account only through the signing keys' three aliases.
#[test]
fn oidc_signing_keys_are_reached_only_through_their_aliases() {
    let doc = template_doc();
    let resources = doc["Resources"].as_mapping().unwrap();
    let key = &doc["Resources"]["OidcSigningKey"]["Properties"];
    assert_eq!(key["KeySpec"].as_str(), Some("RSA_2048"));
    assert_eq!(key["KeyUsage"].as_str(), Some("SIGN_VERIFY"));
    let base = sub_text(&doc["Globals"]["Function"]["Environment"]["Variables"]["PORTAL_OIDC_KEY_ALIAS"])
        .expect("PORTAL_OIDC_KEY_ALIAS: !Sub ...");
    let alias = &doc["Resources"]["OidcSigningKeyAlias"]["Properties"];
    assert_eq!(sub_text(&alias["AliasName"]), Some(format!("alias/{base}")));
    assert_eq!(ref_name(&alias["TargetKeyId"]).as_deref(), Some("OidcSigningKey"));
    let aliases: BTreeSet<String> =
        ["", "-next", "-previous"].iter().map(|suffix| format!("alias/{base}{suffix}")).collect();
    let mut seen = 0;
    for role in resources.values().filter(|r| r["Type"].as_str() == Some("AWS::IAM::Role")) {
        for p in list_of(&role["Properties"]["Policies"]) {
            for statement in list_of(&p["PolicyDocument"]["Statement"]) {
                if !list_of(&statement["Resource"]).iter().any(|r| sub_text(r).is_some_and(|t| t.contains(":kms:"))) {
                    continue;
                }
                seen += 1;
                let named: BTreeSet<String> =
                    list_of(&statement["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"])
                        .into_iter()
                        .map(|v| sub_text(v).unwrap_or_else(|| str_of(v)))
                        .collect();
                assert_eq!(named, aliases, "keys of the account by ARN pattern only under the signing aliases");
                for action in list_of(&statement["Action"]) {
                    assert!(["kms:GetPublicKey", "kms:Sign"].contains(&str_of(action).as_str()), "{action:?}");
                }
            }
        }
    }
    assert!(seen > 0, "some role signs tokens");
}

/// The template's resources, with each `Fn::ForEach::<name>: [identifier,
/// [values], {logical id: resource}]` expanded as the LanguageExtensions
/// transform does: `${identifier}` becomes the value, `&{identifier}` its
/// letters and digits (for logical ids).
fn expanded_resources(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (id, resource) in doc["Resources"].as_mapping().expect("Resources") {
        let id = str_of(id);
        if !id.starts_with("Fn::ForEach::") {
            out.push((id, resource.clone()));
            continue;
        }
        let [identifier, values, body] = &resource.as_sequence().expect("Fn::ForEach is a list")[..] else {
            panic!("{id}: Fn::ForEach takes an identifier, a collection and a template");
        };
        let (identifier, text) = (str_of(identifier), serde_norway::to_string(body).unwrap());
        for value in values.as_sequence().expect("a literal collection") {
            let value = str_of(value);
            let alphanumeric: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
            let text = text
                .replace(&format!("${{{identifier}}}"), &value)
                .replace(&format!("&{{{identifier}}}"), &alphanumeric);
            let expanded: Value = serde_norway::from_str(&text).unwrap();
            out.extend(expanded.as_mapping().unwrap().iter().map(|(k, r)| (str_of(k), r.clone())));
        }
    }
    out
}

/// (namespace, metric name, dimensions: (name, value)) of a metric.
type AlarmMetric = (String, String, Vec<(String, Value)>);

/// Each metric an alarm reads: its own, or those of its metric math.
fn alarm_metrics(props: &Value) -> Vec<AlarmMetric> {
    let metric_of = |m: &Value| {
        let dimensions = list_of(&m["Dimensions"])
            .into_iter()
            .filter(|d| !d.is_null())
            .map(|d| (str_of(&d["Name"]), d["Value"].clone()))
            .collect();
        (str_of(&m["Namespace"]), str_of(&m["MetricName"]), dimensions)
    };
    if props.get("MetricName").is_some() {
        return vec![metric_of(props)];
    }
    let stats = list_of(&props["Metrics"]).into_iter().filter_map(|m| m.get("MetricStat"));
    stats.map(|stat| metric_of(&stat["Metric"])).collect()
}

/// `!Sub ${AWS::StackName}-<function>` names a function of the template:
/// which one.
fn function_named(value: &Value, functions: &BTreeMap<String, Function>) -> String {
    let text =
        sub_text(value).unwrap_or_else(|| panic!("a function's name is !Sub ${{AWS::StackName}}-<name>: {value:?}"));
    let name = text.strip_prefix("${AWS::StackName}-").unwrap_or_else(|| panic!("{text}"));
    assert!(functions.contains_key(name), "{name} is not a function of the template");
    name.to_owned()
}

/// Whether the metric exists: one the code writes (with exactly its
/// dimension), or an AWS metric of a resource of this template.
fn check_alarm_metric(
    doc: &Value,
    functions: &BTreeMap<String, Function>,
    metric: &(String, String, Vec<(String, Value)>),
) {
    let (namespace, name, dimensions) = metric;
    let dimension_names: Vec<&str> = dimensions.iter().map(|(n, _)| n.as_str()).collect();
    match namespace.as_str() {
        functions::metrics::NAMESPACE => {
            let written = functions::metrics::WRITTEN.iter().find(|(n, _)| n == name);
            let (_, dimension) = written.unwrap_or_else(|| panic!("the code writes no metric {name}"));
            assert_eq!(dimension_names, dimension.iter().copied().collect::<Vec<_>>(), "{name}: its dimensions");
            if let Some((_, value)) = dimensions.iter().find(|(n, _)| n == "Function") {
                function_named(value, functions);
            }
        }
        "AWS/Lambda" => {
            assert!(
                ["Errors", "Invocations", "Throttles", "IteratorAge"].contains(&name.as_str()),
                "AWS/Lambda {name}"
            );
            assert_eq!(dimension_names, ["FunctionName"], "AWS/Lambda {name}");
            let function = function_named(&dimensions[0].1, functions);
            if name == "IteratorAge" {
                assert_eq!(function, "projector", "IteratorAge exists for a stream's function only");
            }
        }
        "AWS/SQS" => {
            assert_eq!(name, "ApproximateNumberOfMessagesVisible");
            assert_eq!(dimension_names, ["QueueName"]);
            let (tag, target) = tagged(&dimensions[0].1).expect("QueueName: !GetAtt <queue>.QueueName");
            let queue = str_of(target).strip_suffix(".QueueName").expect("!GetAtt <queue>.QueueName").to_owned();
            assert_eq!(tag, "GetAtt");
            assert_eq!(doc["Resources"][queue.as_str()]["Type"].as_str(), Some("AWS::SQS::Queue"), "{queue}");
        }
        other => panic!("an alarm reads {other} {name}, which this test does not know"),
    }
}

#[test]
fn every_alarms_metric_exists_and_the_operators_alarms_are_there() {
    let doc = template_doc();
    let functions = template().functions;
    let alarms: Vec<(String, Value)> = expanded_resources(&doc)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .collect();
    let mut read = BTreeSet::new();
    for (id, alarm) in &alarms {
        let metrics = alarm_metrics(&alarm["Properties"]);
        assert!(!metrics.is_empty(), "{id} reads no metric");
        for metric in &metrics {
            check_alarm_metric(&doc, &functions, metric);
            let subject = metric.2.first().and_then(|(_, v)| sub_text(v)).unwrap_or_default();
            read.insert((metric.1.clone(), subject.trim_start_matches("${AWS::StackName}-").to_owned()));
        }
        assert_eq!(ref_name(list_of(&alarm["Properties"]["AlarmActions"])[0]).as_deref(), Some("AlarmTopic"), "{id}");
    }
    for function in functions.keys() {
        for metric in ["ServerErrors", "Errors", "Invocations", "Throttles"] {
            assert!(read.contains(&(metric.to_owned(), function.clone())), "no alarm reads {metric} of {function}");
        }
    }
    for metric in ["IteratorAge", "ApproximateNumberOfMessagesVisible", "ResetRequestsOverdue", "SmsSent"] {
        assert!(read.iter().any(|(m, _)| m == metric), "no alarm reads {metric}");
    }
}
