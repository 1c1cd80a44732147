"""The gRPC face of the competition service: decode, authorize, call domain and store, encode."""
