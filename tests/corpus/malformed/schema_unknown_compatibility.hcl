# expect: 9: unknown compatibility level 'SIDEWAYS'
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  schema {
    file          = "schema_unknown_compatibility.hcl"
    compatibility = "SIDEWAYS"
  }
}
