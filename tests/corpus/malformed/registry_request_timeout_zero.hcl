# expect: 4: schema_registry.request_timeout must be more than 0s
schema_registry {
  url             = "http://localhost:8081"
  request_timeout = "0s"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
