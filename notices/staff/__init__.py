"""Staff commands from outside the office: by SMS (`sms`) and by calling a staff line
(`call`), both behind one gate (`gate`: who may command, PIN or code, rate limits)."""
