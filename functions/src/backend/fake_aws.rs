//! A stand-in for AWS in unit tests: an HTTP connector that answers every
//! request from a script and keeps the request bodies, plugged into an SDK
//! configuration with the production retry and timeout policy. It shows how
//! often the SDK sends a call and what the adapters make of the answers,
//! without LocalStack.

use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::aws::{retry_config, timeout_config};

/// An answer: status, content type and body; `Hang` never answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Reply(u16, &'static str, String),
    Hang,
}

impl Answer {
    /// A DynamoDB (JSON 1.0 protocol) answer.
    pub fn dynamodb(status: u16, body: serde_json::Value) -> Answer {
        Answer::Reply(status, "application/x-amz-json-1.0", body.to_string())
    }

    /// A DynamoDB error of type `code`, plus `extra` fields.
    pub fn dynamodb_error(status: u16, code: &str, extra: serde_json::Value) -> Answer {
        let mut body =
            serde_json::json!({ "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": "fake" });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        Answer::dynamodb(status, body)
    }

    /// A KMS (JSON 1.1 protocol) answer; an error is `{"__type": "<code>"}`.
    pub fn kms(status: u16, body: serde_json::Value) -> Answer {
        Answer::Reply(status, "application/x-amz-json-1.1", body.to_string())
    }

    /// An SNS (query protocol, XML) error.
    pub fn sns_error(status: u16, code: &str) -> Answer {
        Answer::Reply(
            status,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>fake</Message></Error>\
                 <RequestId>fake</RequestId></ErrorResponse>"
            ),
        )
    }
}

/// Answers the n-th request with the n-th answer, and every later one with
/// the last.
#[derive(Debug, Clone)]
pub struct FakeAws {
    answers: Arc<Vec<Answer>>,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl FakeAws {
    pub fn new(answers: Vec<Answer>) -> Self {
        assert!(!answers.is_empty());
        FakeAws { answers: Arc::new(answers), bodies: Arc::default() }
    }

    /// The bodies of the requests sent so far, one per attempt.
    pub fn requests(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }

    /// The SDK configuration of `backend::aws::sdk_config` (the same retry
    /// and timeout policy) with this connector in place of HTTPS.
    pub fn sdk(&self) -> SdkConfig {
        let fake = self.clone();
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-central-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new("fake", "fake", None, None, "fake")))
            .http_client(http_client_fn(move |_, _| SharedHttpConnector::new(fake.clone())))
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .build()
    }
}

impl HttpConnector for FakeAws {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request.body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        let n = {
            let mut bodies = self.bodies.lock().unwrap();
            bodies.push(body);
            bodies.len()
        };
        match self.answers[(n - 1).min(self.answers.len() - 1)].clone() {
            Answer::Hang => HttpConnectorFuture::new(std::future::pending()),
            Answer::Reply(status, content_type, body) => {
                let mut response =
                    HttpResponse::new(StatusCode::try_from(status).expect("a status code"), SdkBody::from(body));
                response.headers_mut().insert("content-type", content_type);
                HttpConnectorFuture::ready(Ok(response))
            }
        }
    }
}
