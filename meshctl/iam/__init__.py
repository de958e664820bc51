"""AWS IAM as plain data: policy documents compared by meaning, principal ARNs. Pure; imports
nothing of meshctl, so the model, the compiler, the providers and the renderers share it."""
