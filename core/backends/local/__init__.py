"""The local backend: ResNet-50 served by a real HTTP server process on 127.0.0.1."""
