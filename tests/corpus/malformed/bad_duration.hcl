# expect: 5: invalid max_retention
domain "sales" {
  owners { accountable = "s@acme.example" }
  policy {
    max_retention = "forever"
  }
}
