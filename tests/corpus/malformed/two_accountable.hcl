# expect: 4: domain "sales" needs exactly one accountable owner, found 2
domain "sales" {
  owners {
    accountable = ["a@acme.example", "b@acme.example"]
  }
}
