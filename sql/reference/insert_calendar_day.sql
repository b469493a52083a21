INSERT INTO calendar_day (day, day_number)
VALUES (:day, :day_number)
ON CONFLICT (day) DO NOTHING;
