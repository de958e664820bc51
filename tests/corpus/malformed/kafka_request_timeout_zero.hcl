# expect: 4: kafka.request_timeout must be more than 0s
kafka {
  bootstrap_servers = "localhost:9092"
  request_timeout   = "0s"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
