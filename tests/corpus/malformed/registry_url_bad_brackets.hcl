# expect: 3: schema_registry.url is not an http(s) URL
schema_registry {
  url = "http://1[1,2]27.0.0.1:8081"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
