"""boto3 the way AWS users expect: the default credential chain, profiles, region,
`AWS_ENDPOINT_URL`, botocore's adaptive retries; and AWS errors as one clear sentence.

The one AWS edge, under everything that talks to AWS: the AWS provider, the S3 state
backend and the Secrets Manager credential store all get their clients here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import botocore.exceptions

from meshctl.errors import MeshError
from meshctl.redaction import register

if TYPE_CHECKING:  # the stubs are a development dependency (the test extra)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sts import STSClient

# The AWS services meshctl calls.
Service = Literal["dynamodb", "glue", "iam", "s3", "secretsmanager", "sts"]


@overload
def client(
    service: Literal["dynamodb"], region: str | None, profile: str | None, endpoint_url: str | None
) -> DynamoDBClient: ...
@overload
def client(
    service: Literal["glue"], region: str | None, profile: str | None, endpoint_url: str | None
) -> GlueClient: ...
@overload
def client(service: Literal["iam"], region: str | None, profile: str | None, endpoint_url: str | None) -> IAMClient: ...
@overload
def client(service: Literal["s3"], region: str | None, profile: str | None, endpoint_url: str | None) -> S3Client: ...
@overload
def client(
    service: Literal["secretsmanager"], region: str | None, profile: str | None, endpoint_url: str | None
) -> SecretsManagerClient: ...
@overload
def client(service: Literal["sts"], region: str | None, profile: str | None, endpoint_url: str | None) -> STSClient: ...
@overload
def client(service: Service, region: str | None, profile: str | None, endpoint_url: str | None) -> Any: ...
def client(
    service: Service, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> Any:
    """A boto3 client; boto3 itself reads AWS_ENDPOINT_URL, AWS_PROFILE, AWS_REGION, ..."""
    # boto3 takes ~0.1 s to import: only a command that talks to AWS pays for it.
    import boto3.session
    from botocore.config import Config

    retries = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=30)
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise MeshError(f"AWS profile {profile!r} is not configured (~/.aws/config)") from None
    if session.region_name is None:
        raise MeshError("no AWS region: set region in the configuration, AWS_REGION or a profile's region")
    made = session.client(service, endpoint_url=endpoint_url, config=retries)
    credentials = session.get_credentials()  # resolved by the client already; cached
    if credentials is not None:
        register(credentials.secret_key, credentials.token)
    return made


def aws_error(exc: Exception, what: str) -> MeshError:
    """Translate a boto error into one sentence that says what to check."""
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return MeshError(
            f"no AWS credentials to {what}: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or run where an instance or task role is available"
        )
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return MeshError(f"cannot reach AWS at {exc.kwargs.get('endpoint_url', '?')} to {what}")
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code, message = err.get("Code", "?"), err.get("Message", "")
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return MeshError(f"AWS denied the permission to {what}: {message}")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "UnrecognizedClientException", "ExpiredToken"):
            return MeshError(f"AWS refused the credentials while trying to {what} ({code}): check the profile or keys")
        return MeshError(f"AWS refused to {what}: {code}: {message}")
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return MeshError(f"AWS error while trying to {what}: {exc}")
    return MeshError(f"error while trying to {what}: {exc}")


def error_code(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""
