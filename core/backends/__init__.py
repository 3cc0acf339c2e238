"""Where models run: one `Backend` protocol (`protocol.py`) and its three implementations.

`local/` serves models from a real HTTP server on 127.0.0.1, `sagemaker/` deploys real
SageMaker endpoints, and `foreign/` load-tests endpoints rnbench did not create (it never deploys
or tears them down).
"""
