# A Snowflake storage integration reading its domain's data: an IAM role that only the
# vendor's principal may assume, presenting the agreed external id, with read access to
# the domain's bucket (or a prefix of it) and nothing else.

variable "integration" {
  description = "Given by meshctl: the integration, its domain and what it reads"
}

variable "bucket_prefix" {
  type    = string
  default = "meshctl"
}

variable "prefix" {
  description = "Part of the domain's bucket the stage reads, e.g. \"exports/\" (default: all of it)"
  type        = string
  default     = ""
}

variable "vendor_secret" {
  description = "Also keep the vendor's own credentials (e.g. a Snowflake service user) in a secret"
  type        = bool
  default     = false
}

locals {
  domain        = var.integration.domain
  account       = mesh.aws.account_id
  bucket        = "${var.bucket_prefix}-${local.domain.slug}"
  role          = "${var.bucket_prefix}-${local.domain.slug}.${var.integration.name}"
  role_arn      = "arn:aws:iam::${local.account}:role/${local.role}"
  secrets       = "arn:aws:secretsmanager:${mesh.aws.region}:${local.account}:secret"
  vendor_secret = "meshctl/vendors/${local.domain.name}/${var.integration.name}"
  # Secrets Manager appends "-" and 6 characters: "-??????" matches exactly one secret.
  readable      = concat(
    ["${local.secrets}:${var.integration.kafka_secret}-??????"],
    var.vendor_secret ? ["${local.secrets}:${local.vendor_secret}-??????"] : [],
  )
}

resource "aws_iam_role" "stage" {
  name               = local.role
  domain             = local.domain.name
  description        = "Snowflake storage integration ${var.integration.name} of ${local.domain.path}"
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
      Statement = [{ Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = local.readable }]
    }
    read        = {
      Version   = "2012-10-17"
      Statement = [
        {
          Effect    = "Allow"
          Action    = "s3:ListBucket"
          Resource  = "arn:aws:s3:::${local.bucket}"
          Condition = { StringLike = { "s3:prefix" = "${var.prefix}*" } }
        },
        {
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion"]
          Resource = "arn:aws:s3:::${local.bucket}/${var.prefix}*"
        },
      ]
    }
  }
}

# The integration principal's Kafka credentials: meshctl writes the value; only this
# integration's role (and the deployer, added by meshctl to every Deny) reads it.
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

# Optional: the vendor's own credentials, in a secret only this integration's role may read.
resource "aws_secretsmanager_secret" "vendor" {
  for_each    = var.vendor_secret ? ["vendor"] : []
  name        = local.vendor_secret
  domain      = local.domain.name
  description = "Credentials of ${var.integration.vendor} for ${local.domain.path}; the value is set by the domain"
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

output "role_arn" {
  value = local.role_arn
}

output "storage_integration_sql" {
  value = templatefile("storage-integration.sql.j2", {
      name     = upper(replace("${local.domain.slug}_${var.integration.name}", "-", "_"))
      role_arn = "arn:aws:iam::${local.account}:role/${local.role}"
      location = "s3://${local.bucket}/${var.prefix}"
  })
}
