# expect: 8: unknown attribute 'latency' in sla
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla {
    latency = "5m"
  }
}
