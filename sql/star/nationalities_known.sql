SELECT nationality_code FROM dim_nationality;
