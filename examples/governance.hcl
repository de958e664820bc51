# Copies and exceptions: the mesh's answers to "keep my own copy" and "not the happy path".

# payments keeps its own copy of the customers it is granted (access.hcl), in its namespace:
# commerce.payments.customers.v1. commerce's policy asks for consent to copies, from an
# accountable or responsible owner of commerce: the nearest common ancestor of sales and
# payments. `validate` warns when more domains than max_copies (default 2) copy one product.
copy "customers" {
  domain      = "payments"
  product     = "sales.customers"
  version     = 1
  description = "Customers, next to the payment records that name them"
  approval {
    by     = "head-of-commerce@acme.example"
    ticket = "GOV-42"
  }
}

# transactions promises no duplicates (products.hcl): off the happy path, so it stands only
# while this exception is in force. `expires` is the last day: validate fails the day after.
exception "ledger_exactly_once" {
  rule        = "delivery_contract"
  target      = "data_product.payments.transactions.v1"
  reason      = "Finance reconciles the ledger from this stream: a duplicate reads as a double charge until every consumer dedupes by transaction id"
  expires     = "2030-06-30"
  approved_by = "payments-lead@acme.example"
}
