"""Domain core of Kisi Access Bridge: canonical events, access policy, repositories and services."""
