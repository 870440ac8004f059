"""The deployer: takes queued deployments through build, deploy and validation."""
