# expect: 4: kafka.request_timeout must be 1h or less
kafka {
  bootstrap_servers = "localhost:9092"
  request_timeout   = "10000d"
}
domain "sales" {
  owners { accountable = "s@acme.example" }
}
