//! The `sla_watch` Lambda function: every 15 minutes (a schedule), marks
//! reset requests past their deadline and anonymises old decided ones.

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_sla_watch().await
}
