"""pushpress: PushPress records as canonical events (mapping.py) and PushPress's API for one
tenant as a PlatformDirectory (directory.py). Imports only the domain and pushpress_client."""
