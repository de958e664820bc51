# expect: 12: domain "sales" loosens max_retention inherited from domain "commerce"
domain "commerce" {
  owners { accountable = "c@acme.example" }
  policy {
    max_retention = "7d"
  }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "s@acme.example" }
  policy {
    max_retention = "30d"
  }
}
