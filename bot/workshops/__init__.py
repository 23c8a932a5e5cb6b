"""Workshops and trainings: catalogue, registration with a waiting list, reminders and the
anonymous feedback questionnaire."""
