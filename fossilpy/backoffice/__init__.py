"""Backoffice: short-lived, lease-guarded background work after web replies.

``trigger.after_reply`` is what the web layer calls after a 200 reply;
``runner`` holds the lease algorithm and the work loop; ``tasks`` lists the
jobs (alerts, digests, peer sync, the delivery journal).
"""
