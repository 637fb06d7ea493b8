"""The people's pages: a fifth process that calls the four services' REST APIs with the signed-in user's token and
owns no domain data - the unit's phone page (填报), the office's console and the map."""
