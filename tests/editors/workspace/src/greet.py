import os


def grüße(name)
    return "héllo " + name
