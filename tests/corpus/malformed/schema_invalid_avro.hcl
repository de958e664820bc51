# expect: 7: invalid AVRO schema in schema_invalid_avro.hcl
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  schema { file = "schema_invalid_avro.hcl" }
}
