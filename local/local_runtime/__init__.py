"""Runs the stack on one machine without AWS or Docker: template-driven resources on moto, an HTTP
front door for the HttpApi routes, an SQS poller for the worker, and the schedules on demand."""
