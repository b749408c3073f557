import os

from django.core.wsgi import get_wsgi_application

from acuback.env import prepare_data_dir

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuback.settings")
prepare_data_dir()
application = get_wsgi_application()
