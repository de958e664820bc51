# expect: 10: integration "snowflake" would share the principal User:analytics-snowflake with domain "analytics-snowflake"
domain "analytics" {
  owners { accountable = "a@acme.example" }
}
integration "snowflake" {
  domain = "analytics"
  vendor = "snowflake"
  source = "modules/snowflake-s3-stage"
}
domain "analytics-snowflake" {
  owners { accountable = "x@acme.example" }
}
