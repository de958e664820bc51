"""The mesh model, its policies and its validation. Imports only the floor (errors, naming,
iam, resources); turning HCL into the model is `meshctl.config`'s work (`config.builder`)."""
