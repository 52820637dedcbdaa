# The real SMTP server fixture (aiosmtpd) for every test in this package.
from tierline.notifications.tests.test_customer_mail import smtp  # noqa: F401
