"""S3, the only storage Sitepack has: photos, their renditions, export zips.

client.py     the bucket's operations (put, get, presign, delete, list), one boto3 client
keys.py       every object key, built and parsed in one place
rules.py      the bucket's lifecycle, encryption and public-access configuration
multipart.py  a write-only stream into one multipart upload: a zip goes up with no disk
uploads.py    abandoned multipart uploads, found and aborted
reconcile.py  the bucket brought back into agreement with the database
cdn.py        CloudFront invalidations when an object is deleted
cli.py        `flask storage ensure|reconcile`
"""
