# expect: 3: schema_registry.url is not an http(s) URL
schema_registry {
  url = "localhost:8081"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
