# expect: 9: invalid JSON schema in schema_invalid_json_schema.hcl
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  schema {
    type = "JSON"
    file = "schema_invalid_json_schema.hcl"
  }
}
