# expect: 3: domain parents form a cycle
domain "a" {
  parent = "b"
  owners { accountable = "a@acme.example" }
}
domain "b" {
  parent = "a"
  owners { accountable = "b@acme.example" }
}
