# A Kafka Connect S3 sink for one domain: it reads the topics the domain is granted (as the
# integration's own principal, with consumer groups under the integration's prefix) and
# writes into the domain's bucket under <integration>/. The connector configuration is an
# output artefact rendered with jinja2; credentials are referenced, never inlined.
# With dead_letter_queue = true, records the sink cannot write go to the integration's output
# topic "dlq" (<domain path>.<integration>.dlq), which meshctl creates and manages; the
# integration's principal may write that topic and no other.

variable "integration" {
  description = "Given by meshctl: the integration, its domain and what it reads"
}

variable "bucket_prefix" {
  type    = string
  default = "meshctl"
}

variable "flush_size" {
  type    = number
  default = 1000
}

variable "dead_letter_queue" {
  type        = bool
  default     = false
  description = "send records that fail conversion or writing to the output topic dlq instead of stopping"
}

variable "dead_letter_queue_partitions" {
  type    = number
  default = 1
}

integration_output "dlq" {
  enabled     = var.dead_letter_queue
  partitions  = var.dead_letter_queue_partitions
  description = "Records the S3 sink ${var.integration.name} could not write, with the error in their headers"
}

locals {
  domain   = var.integration.domain
  account  = mesh.aws.account_id
  bucket   = "${var.bucket_prefix}-${local.domain.slug}"
  role     = "${var.bucket_prefix}-${local.domain.slug}.${var.integration.name}"
  prefix   = "${var.integration.name}/"
  role_arn = "arn:aws:iam::${local.account}:role/${local.role}"
  # The topic of integration_output "dlq" above: the integration's namespace and the output's name.
  dlq      = var.dead_letter_queue ? "${var.integration.topic_prefix}dlq" : ""
}

resource "aws_iam_role" "sink" {
  name               = local.role
  domain             = local.domain.name
  description        = "Kafka Connect S3 sink ${var.integration.name} of ${local.domain.path}"
  tags               = { "meshctl:domain" = local.domain.path, "meshctl:vendor" = var.integration.vendor }
  assume_role_policy = {
    Version   = "2012-10-17"
    Statement = [{
        Effect    = "Allow"
        Principal = { AWS = var.integration.trusted_principal }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "sts:ExternalId" = var.integration.external_id } }
    }]
  }
  inline_policies    = {
    credentials = {
      Version   = "2012-10-17"
      Statement = [{
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          # Secrets Manager appends "-" and 6 characters: "-??????" matches exactly this secret.
          Resource = "arn:aws:secretsmanager:${mesh.aws.region}:${local.account}:secret:${var.integration.kafka_secret}-??????"
      }]
    }
    write       = {
      Version   = "2012-10-17"
      Statement = [
        {
          Effect    = "Allow"
          Action    = "s3:ListBucket"
          Resource  = "arn:aws:s3:::${local.bucket}"
          Condition = { StringLike = { "s3:prefix" = "${local.prefix}*" } }
        },
        {
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
          Resource = "arn:aws:s3:::${local.bucket}/${local.prefix}*"
        },
      ]
    }
  }
}

# The integration principal's Kafka credentials (what the worker puts in KAFKA_SASL_PASSWORD):
# meshctl writes the value; only this integration's role (and the deployer) reads it.
resource "aws_secretsmanager_secret" "kafka" {
  name        = var.integration.kafka_secret
  domain      = local.domain.name
  description = "Kafka credentials of ${var.integration.principal}, managed by meshctl"
  tags        = { "meshctl:domain" = local.domain.path, "meshctl:vendor" = var.integration.vendor }
  policy      = {
    Version   = "2012-10-17"
    Statement = [{
        Sid       = "OnlyTheIntegrationRole"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = [local.role_arn] } }
    }]
  }
}

output "connector_config" {
  value = templatefile("connector.json.j2", {
      name      = "${local.domain.path}.${var.integration.name}"
      topics    = var.integration.reads
      bucket    = local.bucket
      prefix    = local.prefix
      region    = mesh.aws.region
      role_arn  = local.role_arn
      principal = var.integration.principal
      group     = "${var.integration.group_prefix}sink"
      flush     = var.flush_size
      dlq       = local.dlq
  })
}
