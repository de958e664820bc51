# expect: 2: unclosed block: no closing brace before the end of the file
domain "sales" {
  owners {
    accountable = "a@acme.example"
  }
  description = "no closing brace"


