"""What runs inside an endpoint: ResNet-50, the study's preprocessing, runtimes, the local server.

Modules: `weights` (model and weights), `preprocess` (image bytes -> batch), `runtimes` (eager and
compiled, agreement check), `predict` (top-5 answer), `service` + `server` (the HTTP server),
`bench` (in-process throughput), `contract` (constants; no torch), `errors` and `cache` (its own
errors and cache folder: it imports nothing of `rnbench.core`). Importing this package is cheap:
torch loads only when a model is built.
"""
