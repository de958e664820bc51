# The paved path for a new product: one module block gives the team a product version with
# its schema, its readers' grants and its table in the domain's Glue catalog. The domain's
# policy, single writer and grant rules apply to it as to a data_product block.

module "chargebacks" {
  source      = "data-product"
  domain      = "payments"
  name        = "chargebacks"
  description = "Every disputed payment, as the bank reports it"
  partitions  = 3
  schema_file = "schemas/chargebacks-v1.avsc"
  readers     = ["analytics", "sales"]
}
