"""placeholder"""
from deidc.testing._recipes import recipe_texts, recipes
