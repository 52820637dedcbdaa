import subprocess
import sys


def test_production_settings_hash_passwords_with_argon2():
    # A fresh interpreter without the test-only fast hasher: what a real deployment gets.
    code = (
        "import os; os.environ['SECRET_KEY'] = 'x' * 50;"
        "os.environ.pop('TIERLINE_DEV', None); os.environ['DJANGO_SETTINGS_MODULE'] = 'tierline.settings';"
        "import django; django.setup();"
        "from django.contrib.auth.hashers import make_password; print(make_password('pw-for-test-123'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("argon2$argon2id$")


def test_production_refuses_to_start_without_secret_key():
    code = (
        "import os; [os.environ.pop(k, None) for k in ('SECRET_KEY', 'TIERLINE_DEV')];"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tierline.settings'; import django; django.setup()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr
