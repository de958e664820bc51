# expect: 2: schema_registry.url is not an http(s) URL
schema_registry { url = "http://" }
domain "sales" {
  owners { accountable = "s@acme.example" }
}
